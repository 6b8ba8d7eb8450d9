"""``modelfleet promote``: move champion/challenger, refusing ties and per-class regressions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from modelfleet.cli.console import console, fail, table
from modelfleet.common.errors import ModelfleetError

if TYPE_CHECKING:
    from modelfleet.trainer.facade import PromotionResult


def promote_command(
    model: str = typer.Argument(..., help="Registered model name"),
    metric: str = typer.Option("f1_macro", help="Overall metric that ranks the versions"),
    tolerance: float = typer.Option(0.02, help="Allowed per-class recall drop"),
    force: bool = typer.Option(False, "--force", help="Promote despite a regression"),
    version: str | None = typer.Option(None, help="Promote this version instead of the best"),
) -> None:
    """Champion to the best version, challenger to the runner-up (MLflow aliases)."""
    from modelfleet.trainer import facade

    try:
        request = facade.PromotionRequest(
            model_name=model, metric=metric, tolerance=tolerance, force=force, version=version
        )
    except ValueError as exc:
        fail(str(exc).replace("\n", " "))
    try:
        result = facade.promote(request)
    except ModelfleetError as exc:
        fail(exc.detail)
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
