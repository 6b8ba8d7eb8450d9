"""``modelfleet drift run | list | show``: drift of served versions against their training data.

``run`` executes the analysis in this process with the drift monitor's own settings (the same
``MODELFLEET_*`` variables as the service), so it works without the service running; ``list``
and ``show`` read the stored runs from the database.
"""

from __future__ import annotations

from typing import Any

import typer

from modelfleet.cli.console import console, fail, table
from modelfleet.common.errors import ModelfleetError

app = typer.Typer(
    help="Drift of served versions (Evidently) and the retraining it triggers.",
    no_args_is_help=True,
)

SUMMARY = ["id", "model", "version", "status", "rows", "drift share", "pred. drift", "decision"]


def _summary(run: Any) -> list[Any]:
    return [
        run.id,
        run.model_name,
        run.model_version,
        run.status,
        f"{run.current_rows:,}{' (sampled)' if run.sampled else ''}",
        run.drift_share,
        run.prediction_drift,
        run.decision,
    ]


@app.command("run")
def run_cmd(
    model: str = typer.Option("", "--model", help="registered model name"),
    version: str = typer.Option("", "--version", help="model version"),
    all_served: bool = typer.Option(
        False, "--all-served", help="every version with online predictions in the window"
    ),
    window_hours: float | None = typer.Option(
        None, "--window-hours", min=0.001, help="online predictions of the last H hours"
    ),
    last: int | None = typer.Option(None, "--last", min=1, help="the last N online predictions"),
) -> None:
    """Analyse drift now and store the run (and request retraining if the policy says so)."""
    from modelfleet.drift_monitor import facade

    if all_served == bool(model):
        fail("give --model with --version, or --all-served")
    if model and not version:
        fail("--model needs --version")
    if window_hours is not None and last is not None:
        fail("give --window-hours or --last, not both")
    try:
        if all_served:
            runs = facade.run_all_served(hours=window_hours, last=last)
        else:
            runs = [facade.run(model, version, hours=window_hours, last=last)]
    except ModelfleetError as exc:
        fail(exc.detail)
    if not runs:
        fail("no version has online predictions in the window")
    console.print(table("drift runs", SUMMARY, [_summary(r) for r in runs]))
    for run in runs:
        console.print(f"run {run.id}: {run.reason or run.status}")
    if any(r.status == "failed" for r in runs):
        raise typer.Exit(1)


@app.command("list")
def list_cmd(
    model: str = typer.Option("", help="only this registered model"),
    version: str = typer.Option("", help="only this version"),
    status: str = typer.Option("", help="done, not_enough_data, reference_missing, failed"),
    limit: int = typer.Option(50, min=1, help="newest N"),
) -> None:
    """Stored drift runs, newest first."""
    from modelfleet.drift_monitor import facade

    try:
        runs = facade.list_runs(
            model=model or None, version=version or None, status=status or None, limit=limit
        )
    except ModelfleetError as exc:
        fail(exc.detail)
    rows = [[*_summary(r), r.created_at] for r in runs]
    console.print(table("drift runs", [*SUMMARY, "created"], rows))


@app.command("show")
def show_cmd(run_id: int = typer.Argument(..., help="drift run id")) -> None:
    """One run: per-column drift, data quality, retraining requests and the report file."""
    from modelfleet.drift_monitor import facade

    try:
        run, requests = facade.get_run(run_id)
    except ModelfleetError as exc:
        fail(exc.detail)
    if run is None:
        fail(f"drift run {run_id} does not exist")
    console.print(table(f"drift run {run_id}", SUMMARY, [_summary(run)]))
    console.print(f"window: {run.window_start} → {run.window_end}; reason: {run.reason or '—'}")
    scores = run.column_scores or {}
    console.print(
        table(
            "per-column drift",
            ["column", "method", "score", "threshold", "drifted"],
            [[c, s["method"], s["score"], s["threshold"], s["drifted"]] for c, s in scores.items()],
        )
    )
    issues = [
        [column, q.get("missing"), q.get("out_of_range"), ", ".join(q.get("new_categories", []))]
        for column, q in (run.quality or {}).items()
        if q.get("missing") or q.get("out_of_range") or q.get("new_categories")
    ]
    if issues:
        console.print(
            table("data quality", ["column", "missing", "out of range", "new categories"], issues)
        )
    if requests:
        console.print(
            table(
                "retraining requests",
                ["id", "status", "attempts", "trainer job", "training data"],
                [[r.id, r.status, r.attempts, r.trainer_job_id, r.training_data] for r in requests],
            )
        )
        for request in requests:
            if request.error:
                console.print(f"request {request.id}: {request.error}")
    if run.report_path:
        console.print(f"HTML report: {run.report_path}")
