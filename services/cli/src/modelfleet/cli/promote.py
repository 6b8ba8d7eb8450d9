"""``modelfleet promote``: move champion/challenger, refusing ties and per-class regressions."""

from __future__ import annotations

import typer
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sqlalchemy.exc import SQLAlchemyError

from modelfleet.cli.console import console, fail, table
from modelfleet.common.db.engine import make_engine, make_session_factory, session_scope
from modelfleet.common.errors import ModelfleetError
from modelfleet.common.settings import DatabaseSettings
from modelfleet.trainer.promotion import PromotionRequest, PromotionResult, promote


def promote_command(
    model: str = typer.Argument(..., help="Registered model name"),
    metric: str = typer.Option("f1_macro", help="Overall metric that ranks the versions"),
    tolerance: float = typer.Option(0.02, help="Allowed per-class recall drop"),
    force: bool = typer.Option(False, "--force", help="Promote despite a regression"),
    version: str | None = typer.Option(None, help="Promote this version instead of the best"),
) -> None:
    """Champion to the best version, challenger to the runner-up (MLflow aliases)."""
    settings = DatabaseSettings()
    try:
        request = PromotionRequest(
            model_name=model, metric=metric, tolerance=tolerance, force=force, version=version
        )
    except ValueError as exc:
        fail(str(exc).replace("\n", " "))
    engine = make_engine(settings.resolved_database_url())
    try:
        with session_scope(make_session_factory(engine)) as session:
            result = promote(session, MlflowClient(settings.mlflow_tracking_uri), request)
    except ModelfleetError as exc:
        fail(exc.detail)
    except MlflowException as exc:
        fail(f"MLflow at {settings.mlflow_tracking_uri}: {str(exc).splitlines()[0]}")
    except SQLAlchemyError as exc:
        fail(f"database unavailable ({str(exc).splitlines()[0]}); run modelfleet db upgrade")
    finally:
        engine.dispose()
    _report(result)


def _report(result: PromotionResult) -> None:
    role = {result.champion: "champion", result.challenger: "challenger"}
    console.print(
        table(
            f"{result.model_name} by {result.metric} ({result.source})",
            ["version", result.metric, "alias"],
            [
                (v, score, role.get(v))
                for v, score in sorted(result.scores.items(), key=lambda kv: -kv[1])
            ],
        )
    )
    moved = "moved" if result.changed else "unchanged"
    console.print(f"champion {moved}: v{result.champion} — {result.reason}")
