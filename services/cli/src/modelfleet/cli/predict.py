"""``modelfleet predict-batch``: score a file with a registered version (the daily batch job)."""

from __future__ import annotations

from pathlib import Path

import typer

from modelfleet.cli.console import console, fail
from modelfleet.common.errors import ModelfleetError


def predict_batch(
    input_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or parquet"),
    output: Path = typer.Argument(..., help="parquet file to write"),
    model: str = typer.Option(..., "--model", "-m", help="registered model name"),
    version: str | None = typer.Option(None, "--version", "-v", help="version to use"),
    alias: str | None = typer.Option(None, "--alias", "-a", help="alias, e.g. champion"),
    tracking_uri: str | None = typer.Option(
        None, envvar="MLFLOW_TRACKING_URI", help="MLflow tracking server"
    ),
    collector_url: str | None = typer.Option(
        None, envvar="MODELFLEET_COLLECTOR_URL", help="ship prediction logs (source batch) here"
    ),
    chunk_rows: int = typer.Option(50_000, min=1, help="rows per model call"),
) -> None:
    """Score INPUT_PATH into OUTPUT with predictions and class probabilities next to each row.

    Bad rows are skipped and listed with their line numbers in OUTPUT's ``.errors.csv``.
    """
    from modelfleet.model_server.facade import score_file, scoring_settings

    if (version is None) == (alias is None):
        fail("give exactly one of --version and --alias")
    settings = scoring_settings(
        model,
        version=version,
        alias=alias,
        tracking_uri=tracking_uri,
        collector_url=collector_url,
    )
    try:
        summary = score_file(settings, input_path, output, chunk_rows)
    except ModelfleetError as exc:
        fail(exc.detail)
    console.print(
        f"scored [bold]{summary['scored']:,}[/] of {summary['rows']:,} rows with "
        f"{summary['model']} v{summary['version']} in {summary['seconds']:.1f}s → {output}"
    )
    if summary["bad_rows"]:
        skipped, listed = summary["bad_rows"], summary["errors_file"]
        console.print(f"[yellow]{skipped} bad row(s) skipped[/], listed in {listed}")
    if not summary["scored"]:
        raise typer.Exit(1)
