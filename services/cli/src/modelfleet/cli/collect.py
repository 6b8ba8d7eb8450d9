"""``modelfleet collect``: evaluate model-servers on a golden set, with progress and a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

from modelfleet.cli.console import console, fail, table
from modelfleet.common.errors import ModelfleetError

if TYPE_CHECKING:
    from modelfleet.collector.facade import Outcome, Target
    from modelfleet.common.wire import ModelInfo

STATUS_STYLE = {"done": "green", "skipped": "yellow", "failed": "red", "unreachable": "red"}


class ProgressReporter:
    """One progress bar per evaluated target (a ``collector.facade.Reporter``)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def started(self, target: Target, info: ModelInfo, rows: int, already: int) -> None:
        label = f"{info.name} v{info.version}"
        if already:
            label += f" (resumed at {already})"
        self.tasks[target.url] = self.progress.add_task(label, total=rows, completed=already)

    def advanced(self, target: Target, scored: int) -> None:
        self.progress.update(self.tasks[target.url], completed=scored)

    def finished(self, outcome: Outcome) -> None:
        return None


def _row(outcome: Outcome) -> list[Any]:
    style = STATUS_STYLE.get(outcome.status, "white")
    return [
        outcome.target,
        outcome.model,
        outcome.version,
        f"[{style}]{outcome.status}[/]",
        outcome.evaluation_id,
        outcome.rows_scored,
        outcome.rows_skipped,
        outcome.accuracy,
        outcome.seconds,
        outcome.reason,
    ]


def collect(
    urls: list[str] = typer.Argument(None, help="model-server URLs (else --discover)"),
    golden: str = typer.Option(
        "", "--golden", "-g", help="catalog dataset name or file (default MODELFLEET_GOLDEN)"
    ),
    target: str = typer.Option("", "--target", help="target column of a golden file"),
    discover: str = typer.Option("", "--discover", help="k8s or local (the running local fleet)"),
) -> None:
    """Evaluate model-servers on a golden set, class by class (versions already evaluated on it
    are skipped). Uses MODELFLEET_DATABASE_URL like the collector."""
    from modelfleet.collector.facade import evaluate

    columns = ("target", "model", "version", "status", "evaluation", "scored", "left out")
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            outcomes = evaluate(
                golden=golden or None,
                target=target or None,
                urls=urls or [],
                discover=discover or None,
                reporter=ProgressReporter(progress),
            )
    except ModelfleetError as exc:
        fail(exc.detail)
    console.print(
        table(
            "golden-set evaluations",
            [*columns, "accuracy", "seconds", "reason"],
            [_row(o) for o in outcomes],
        )
    )
    if any(o.status in ("failed", "unreachable") for o in outcomes):
        raise typer.Exit(1)
