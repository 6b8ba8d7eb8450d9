"""Steps 3 to 5: days of traffic to the champion, drift runs, and the retraining they trigger."""

from __future__ import annotations

import pandas as pd

from modelfleet.cli.console import console
from modelfleet.cli.demo.context import DemoContext
from modelfleet.cli.demo.drift import refresh_retraining, run_drift
from modelfleet.cli.demo.evaluate import evaluate_and_promote
from modelfleet.cli.demo.report import DayFacts
from modelfleet.cli.demo.traffic import post_labels, send_day, stored_online, wait_stored
from modelfleet.cli.demo.train import deploy, wait_for_jobs
from modelfleet.cli.synthetic import DriftSpec, GamingGenerator


class TrafficLoop:
    """Simulates the days; stops after the first retraining closed the loop."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.pending_labels: dict[int, pd.DataFrame] = {}
        self.expected: dict[str, int] = {}

    def run(self) -> None:
        config = self.ctx.config
        console.rule(
            f"[bold]3-4. {config.days} days of traffic to the champion, "
            f"drift in the key columns from day {config.drift_from_day}"
        )
        generator = GamingGenerator(seed=self.ctx.config.seed + 1)
        batches = generator.daily_batches(
            config.days,
            config.rows_per_day,
            drift_from_day=config.drift_from_day,
            drift=DriftSpec.key_columns(),
        )
        waiting: list[DayFacts] = []
        for day, frame in batches:
            facts = self.day(day, frame)
            for earlier in waiting:
                refresh_retraining(self.ctx, earlier)
            waiting = [f for f in [*waiting, facts] if f.retrain_status and not f.retrain_job]
            submitted = next((f for f in self.ctx.report.days if f.retrain_job), None)
            if submitted is not None:
                self.retrain(submitted)
                return
        console.print("[yellow]no retraining was triggered within the simulated days[/]")

    def day(self, day: int, frame: pd.DataFrame) -> DayFacts:
        ctx = self.ctx
        version = str(ctx.report.champion)
        url = ctx.report.versions[version].url or ""
        if version not in self.expected:
            self.expected[version] = stored_online(ctx, version)
        drifting = day >= ctx.config.drift_from_day
        label = f"day {day} → v{version}" + (" [red](drifted input)[/]" if drifting else "")
        rows = send_day(ctx, day, frame, url, label)
        self.expected[version] += rows
        facts = DayFacts(day=day, version=version, rows=rows, drift_injected=drifting)
        self.pending_labels[day] = frame
        due = day - ctx.config.label_delay_days
        if due in self.pending_labels:
            facts.labels_posted = post_labels(ctx, due, self.pending_labels.pop(due))
        wait_stored(ctx, version, self.expected[version])
        run_drift(ctx, facts)
        ctx.report.days.append(facts)
        return facts

    def retrain(self, facts: DayFacts) -> None:
        """Step 5: wait for the trainer job the drift monitor started, then the usual path."""
        ctx = self.ctx
        console.rule(f"[bold]5. drift on day {facts.day} → retraining (trainer job)")
        served = ctx.report.versions[facts.version]
        origin = f"retrained after drift run {facts.run_id} (day {facts.day})"
        assert facts.retrain_job is not None
        new = wait_for_jobs(ctx, {facts.retrain_job: (served.model_type, origin)})
        deploy(ctx, new)
        evaluate_and_promote(ctx, new, "5. retrained version")
