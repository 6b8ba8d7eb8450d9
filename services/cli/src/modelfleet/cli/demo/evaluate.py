"""Step 2 (and 5): the collector evaluates versions on the golden set; promotion decides."""

from __future__ import annotations

from modelfleet.cli.console import console
from modelfleet.cli.demo.api import DemoError
from modelfleet.cli.demo.context import DemoContext
from modelfleet.cli.demo.report import PromotionFacts, VersionFacts


def evaluate(ctx: DemoContext, versions: list[VersionFacts]) -> None:
    """Send the golden set through each version's server (the collector's evaluation job)."""
    targets = [v.url for v in versions if v.url]
    names = ", ".join(f"v{v.version}" for v in versions)
    with console.status(f"collector evaluating {names} on {ctx.config.golden_name}"):
        outcomes = ctx.api.evaluate(ctx.config.golden_name, targets)
    by_url = {o["target"].rstrip("/"): o for o in outcomes}
    for facts in versions:
        outcome = by_url.get((facts.url or "").rstrip("/"))
        if outcome is None or outcome["status"] not in ("done", "skipped"):
            reason = outcome.get("reason") if outcome else "no outcome returned"
            raise DemoError(f"evaluation of v{facts.version} did not succeed: {reason}")
        facts.evaluation_id = outcome["evaluation_id"] or _evaluation_id(ctx, facts.version)
        detail = ctx.api.evaluation(int(facts.evaluation_id))
        facts.golden = dict(detail["metrics"]["overall"])
        facts.golden_recall = {
            label: metrics["recall"]
            for label, metrics in detail["metrics"]["per_class"].items()
            if "recall" in metrics
        }
        console.print(
            f"  v{facts.version} ({facts.model_type}): evaluation {facts.evaluation_id}, "
            f"{outcome['rows_scored']} golden rows, "
            f"accuracy {facts.golden.get('accuracy', float('nan')):.4f}, recall by class "
            + ", ".join(f"{k} {v:.3f}" for k, v in sorted(facts.golden_recall.items()))
        )


def _evaluation_id(ctx: DemoContext, version: str) -> int:
    """A version evaluated by an earlier run is skipped; find its evaluation."""
    for row in ctx.api.evaluations(ctx.model):
        if str(row["model_version"]) == version and row["status"] == "done":
            return int(row["id"])
    raise DemoError(f"no finished evaluation of {ctx.model} v{version}")


def promote(ctx: DemoContext, after: str) -> PromotionFacts:
    """Ask the trainer to move ``champion``; a refusal (regression, tie) is a result."""
    promoted, result = ctx.api.promote(ctx.model)
    facts = PromotionFacts(
        after=after,
        promoted=promoted and bool(result.get("changed")),
        champion=result.get("champion"),
        challenger=result.get("challenger"),
        reason=str(result.get("reason", "")),
    )
    if facts.promoted or facts.champion:
        ctx.report.champion = str(facts.champion)
        ctx.report.challenger = str(facts.challenger) if facts.challenger else None
    else:  # refused: the aliases stay where they were
        facts.champion, facts.challenger = ctx.report.champion, ctx.report.challenger
    ctx.report.promotions.append(facts)
    verdict = "[green]promoted[/]" if facts.promoted else "[yellow]champion unchanged[/]"
    console.print(f"  promotion: {verdict} — champion v{ctx.report.champion}: {facts.reason}")
    return facts


def evaluate_and_promote(ctx: DemoContext, versions: list[VersionFacts], after: str) -> None:
    console.rule(f"[bold]{after}: evaluate on the golden set, then promote")
    evaluate(ctx, versions)
    promote(ctx, after)
