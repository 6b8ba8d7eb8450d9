"""Step 4: the drift monitor looks at the day's traffic of the served version."""

from __future__ import annotations

from typing import Any

from modelfleet.cli.console import console
from modelfleet.cli.demo.context import DemoContext
from modelfleet.cli.demo.report import DayFacts
from modelfleet.cli.synthetic import KEY_COLUMNS


def run_drift(ctx: DemoContext, facts: DayFacts) -> None:
    """One drift run on the last day's rows; fills ``facts`` with the verdict and any retraining."""
    with console.status(f"day {facts.day}: drift run on v{facts.version}"):
        run = ctx.api.drift_run(ctx.model, facts.version, last=facts.rows)
    facts.run_id = run["id"]
    facts.status = run["status"]
    facts.drift_share = run.get("drift_share")
    facts.decision = run.get("decision")
    facts.reason = run.get("reason")
    facts.key_columns_drifted = _drifted_key_columns(run.get("column_scores") or {})
    _read_retraining(facts, run)
    if run.get("report_url"):
        ctx.report.latest_report_url = _absolute(ctx, run["report_url"])
    share = "—" if facts.drift_share is None else f"{facts.drift_share:.0%}"
    drifted = ", ".join(facts.key_columns_drifted) or "none"
    console.print(
        f"  day {facts.day}: drift run {facts.run_id} ({facts.status}), drifted share {share}, "
        f"key columns drifted: {drifted} → [bold]{facts.decision}[/]"
        + (f" (trainer job {facts.retrain_job})" if facts.retrain_job else "")
        + (f" [yellow](retraining {facts.retrain_status})[/]" if facts.retrain_status else "")
    )


def _read_retraining(facts: DayFacts, run: dict[str, Any]) -> None:
    for request in run.get("retrain_requests") or []:
        if request.get("trainer_job_id"):
            facts.retrain_job, facts.retrain_status = request["trainer_job_id"], None
        else:
            facts.retrain_status = f"{request['status']}: {request.get('error') or ''}".strip()


def refresh_retraining(ctx: DemoContext, facts: DayFacts) -> None:
    """A retraining the monitor could not submit at once (trainer busy, no labels yet) is
    retried by its later runs; read the earlier run again to see whether it got a job."""
    assert facts.run_id is not None
    _read_retraining(facts, ctx.api.drift_run_by_id(facts.run_id))
    if facts.retrain_job:
        console.print(
            f"  the retraining asked for by drift run {facts.run_id} (day {facts.day}) "
            f"was submitted on a later try: trainer job {facts.retrain_job}"
        )


def _drifted_key_columns(scores: dict[str, Any]) -> list[str]:
    return [c for c in KEY_COLUMNS if isinstance(scores.get(c), dict) and scores[c].get("drifted")]


def _absolute(ctx: DemoContext, url: str) -> str:
    return url if url.startswith("http") else ctx.api.drift.base_url.rstrip("/") + url
