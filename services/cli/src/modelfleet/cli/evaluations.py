"""``modelfleet evaluations list | show | compare``: golden-set results from the database."""

from __future__ import annotations

import typer

from modelfleet.cli.console import console, fail, table
from modelfleet.common.errors import ModelfleetError

app = typer.Typer(
    help="Golden-set evaluations of model versions (MODELFLEET_DATABASE_URL).",
    no_args_is_help=True,
)


@app.command("list")
def list_cmd(
    model: str = typer.Option("", help="only this registered model"),
    status: str = typer.Option("", help="only done, running or failed"),
    limit: int = typer.Option(50, help="newest N"),
) -> None:
    """Evaluations, newest first."""
    from modelfleet.collector.facade import evaluations

    try:
        rows = evaluations(model or None, status or None, limit)
    except ModelfleetError as exc:
        fail(exc.detail)
    columns = ["id", "model_name", "model_version", "golden_name", "status", "rows_scored"]
    columns += ["rows_skipped", "attempts", "finished_at", "error"]
    console.print(table("evaluations", columns, [[r[c] for c in columns] for r in rows]))


@app.command("show")
def show_cmd(evaluation_id: int = typer.Argument(..., help="evaluation id")) -> None:
    """One evaluation: overall and per-class metrics, and the rows left out."""
    from modelfleet.collector.facade import evaluation

    try:
        data = evaluation(evaluation_id)
    except ModelfleetError as exc:
        fail(exc.detail)
    console.print(
        f"[bold]{data['model_name']} v{data['model_version']}[/] on {data['golden_name']}: "
        f"{data['status']}, {data['rows_scored']} rows scored, {data['rows_skipped']} left out"
    )
    overall = data["metrics"]["overall"]
    console.print(table("overall", ["metric", "value"], sorted(overall.items())))
    per_class = data["metrics"]["per_class"]
    metrics = ["precision", "recall", "f1", "support"]
    rows = [
        [label, *(values.get(m) for m in metrics)] for label, values in sorted(per_class.items())
    ]
    console.print(table("per class", ["class", *metrics], rows))
    reasons = data.get("skipped_reason") or {}
    for reason, detail in reasons.items():
        by_class = detail.get("rows_by_class") if isinstance(detail, dict) else None
        console.print(f"left out ({reason}): {by_class or len(detail.get('row_indices', []))}")


def _cell(value: float | None) -> str:
    return "absent" if value is None else f"{value:.4f}"


@app.command("compare")
def compare_cmd(
    model: str = typer.Option(..., "--model", "-m", help="registered model name"),
    baseline: str = typer.Option(..., "--baseline", "-b", help="baseline version"),
    candidate: str = typer.Option(..., "--candidate", "-c", help="candidate version"),
    metric: str = typer.Option("recall", help="per-class metric judged: precision, recall, f1"),
    tolerance: float = typer.Option(0.02, help="allowed drop before a regression is flagged"),
) -> None:
    """Per-class deltas of every metric, candidate against baseline, on the same golden set.
    Exits 1 when the candidate regressed (regressions in red)."""
    from modelfleet.collector.facade import compare

    try:
        result = compare(model, baseline, candidate, metric, tolerance)
    except ModelfleetError as exc:
        fail(exc.detail)
    rows = []
    for delta in [*result.overall, *result.per_class]:
        style = "bold red" if delta.regression else ("green" if (delta.delta or 0) > 0 else "")
        shown = "—" if delta.delta is None else f"{delta.delta:+.4f}"
        rows.append(
            [
                delta.class_label or "(overall)",
                delta.metric,
                _cell(delta.baseline),
                _cell(delta.candidate),
                f"[{style}]{shown}[/]" if style else shown,
            ]
        )
    title = f"{model}: v{baseline} → v{candidate} on {result.golden_name}"
    console.print(table(title, ["class", "metric", "baseline", "candidate", "delta"], rows))
    if result.passed:
        console.print(f"[green]no regression[/] — {result.reason()}")
        return
    console.print(f"[bold red]regression[/] — {result.reason()}")
    raise typer.Exit(1)
