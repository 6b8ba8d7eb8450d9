"""``modelfleet train``: train, log and register one version in-process, with progress."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from modelfleet.cli.console import console, fail, table
from modelfleet.common.errors import ModelfleetError

if TYPE_CHECKING:
    from modelfleet.trainer.facade import TrainRequest, TrainResult

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
    from modelfleet.trainer import facade

    try:
        request = facade.TrainRequest(
            data=data,
            target=target,
            model_type=model,
            params=facade.parse_params(param),
            model_name=name,
            id_columns=id_column or None,
            drop=drop,
            description=description,
        )
        result = _with_progress(request)
    except ModelfleetError as exc:
        fail(exc.detail)
    except ValueError as exc:  # pydantic validation of the request (e.g. the model name)
        fail(str(exc).replace("\n", " "))
    _report(result)


def _with_progress(request: TrainRequest) -> TrainResult:
    from modelfleet.trainer import facade

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

        result = facade.train(request, progress=step)
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
