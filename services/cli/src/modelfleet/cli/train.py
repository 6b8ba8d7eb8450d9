"""``modelfleet train``: train, log and register one version in-process, with progress."""

from __future__ import annotations

import time

import typer
from mlflow.exceptions import MlflowException
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from modelfleet.cli.console import console, fail, table
from modelfleet.common.db.engine import make_engine, make_session_factory
from modelfleet.common.errors import ModelfleetError
from modelfleet.trainer.config import TrainerSettings
from modelfleet.trainer.runner import parse_params, run_training
from modelfleet.trainer.training import TrainRequest, TrainResult

OVERALL = ("accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_macro", "roc_auc_ovr")


def train(
    data: str = typer.Option(..., "--data", help="CSV/parquet file, or a catalog dataset name"),
    target: str = typer.Option(..., "--target", help="Label column"),
    model: str = typer.Option("hgb", "--model", help="hgb, gbm, rf or logreg"),
    name: str = typer.Option(..., "--name", help="Registered model name in MLflow"),
    param: list[str] = typer.Option([], "--param", help="Estimator parameter name=value"),
    id_column: list[str] = typer.Option([], "--id-column", help="Identifier column (repeat)"),
    drop: list[str] = typer.Option([], "--drop", help="Column to leave out (repeat)"),
    description: str | None = typer.Option(None, help="Description of the new version"),
) -> None:
    """Train a model and register a new `candidate` version (MLFLOW_TRACKING_URI)."""
    settings = TrainerSettings()
    engine = make_engine(settings.resolved_database_url())
    try:
        request = TrainRequest(
            data=data,
            target=target,
            model_type=model,
            params=parse_params(param),
            model_name=name,
            id_columns=id_column or None,
            drop=drop,
            description=description,
        )
        result = _with_progress(request, settings, engine)
    except ModelfleetError as exc:
        fail(exc.detail)
    except MlflowException as exc:
        fail(f"MLflow at {settings.mlflow_tracking_uri}: {str(exc).splitlines()[0]}")
    except SQLAlchemyError as exc:
        fail(f"dataset catalog unavailable ({str(exc).splitlines()[0]}); run modelfleet db upgrade")
    except ValueError as exc:  # pydantic validation of the request (e.g. the model name)
        fail(str(exc).replace("\n", " "))
    finally:
        engine.dispose()
    _report(result)


def _with_progress(request: TrainRequest, settings: TrainerSettings, engine: Engine) -> TrainResult:
    start = time.perf_counter()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("starting", total=None)
        last: list[str] = []

        def step(message: str) -> None:
            if last:
                progress.console.print(f"[green]✓[/] {last[-1]}")
            last.append(message)
            progress.update(task, description=message)

        result = run_training(request, settings, make_session_factory(engine), progress=step)
        if last:
            progress.console.print(f"[green]✓[/] {last[-1]}")
    console.print(
        f"registered [bold]{result.model_name}[/] version [bold]{result.version}[/] "
        f"(run {result.run_id}) in {time.perf_counter() - start:.1f}s"
    )
    return result


def _report(result: TrainResult) -> None:
    if result.id_columns:
        console.print(f"identifier columns kept out of features: {', '.join(result.id_columns)}")
    metrics = result.metrics
    console.print(
        table(
            "test metrics",
            ["metric", "value"],
            [(m, metrics[f"test_{m}"]) for m in OVERALL if f"test_{m}" in metrics],
        )
    )
    console.print(
        table(
            "per class (test)",
            ["class", "precision", "recall", "f1"],
            [
                [label, *(metrics.get(f"test_{m}_{label}") for m in ("precision", "recall", "f1"))]
                for label in result.classes
            ],
        )
    )
