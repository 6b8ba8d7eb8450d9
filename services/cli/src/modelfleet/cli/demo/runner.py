"""The demo from start to end: data, fleet, steps 1 to 6; the composition root of ``demo``."""

from __future__ import annotations

import time

from modelfleet.cli.console import console
from modelfleet.cli.demo.api import FleetApi
from modelfleet.cli.demo.config import DemoConfig
from modelfleet.cli.demo.context import DemoContext
from modelfleet.cli.demo.data import write_data
from modelfleet.cli.demo.evaluate import evaluate_and_promote
from modelfleet.cli.demo.loop import TrafficLoop
from modelfleet.cli.demo.report import DemoReport
from modelfleet.cli.demo.summary import print_summary
from modelfleet.cli.demo.train import train_initial_versions
from modelfleet.cli.fleet.commands import bring_up
from modelfleet.cli.fleet.spec import FleetSettings
from modelfleet.cli.fleet.supervisor import Supervisor
from modelfleet.common.db.engine import make_engine


def register_golden(ctx: DemoContext) -> None:
    """The golden set goes into the dataset catalog, where the collector finds it by name."""
    entry = ctx.api.register_dataset(
        {
            "name": ctx.config.golden_name,
            "location": str(ctx.data.golden),
            "owner": "modelfleet demo",
            "description": "fixed golden questions every version of the gaming model answers",
            "target": ctx.data.target,
            "tags": {"kind": "golden", "source": "synthetic"},
        }
    )
    console.print(f"golden set [bold]{entry['name']}[/]: {entry.get('rows')} rows in the catalog")


def run_demo(config: DemoConfig, settings: FleetSettings, *, stop_after: bool) -> DemoReport:
    """Run the loop; the fleet keeps running afterwards unless ``stop_after``."""
    started = time.monotonic()
    supervisor = Supervisor(settings)
    console.rule("[bold]modelfleet demo: train → serve → evaluate → promote → drift → retrain")
    data = write_data(config, settings.root / "data")
    console.print(f"synthetic gaming data in {data.training.parent}")
    try:
        records = {r.name: r.url for r in bring_up(supervisor)}
        token = settings.api_token.get_secret_value() if settings.api_token else None
        api = FleetApi(records["trainer"], records["collector"], records["drift-monitor"], token)
        engine = make_engine(settings.resolved_database_url())
        ctx = DemoContext(config, supervisor, api, data, engine)
        try:
            register_golden(ctx)
            initial = train_initial_versions(ctx)
            evaluate_and_promote(ctx, initial, "2. first versions")
            TrafficLoop(ctx).run()
            ctx.report.seconds = time.monotonic() - started
            print_summary(ctx.report, settings, config.model_name)
        finally:
            api.close()
            engine.dispose()
    finally:
        if stop_after:
            supervisor.down()
            console.print("fleet stopped (--exit)")
    if not stop_after:
        console.print("the fleet keeps running: `modelfleet status`, `modelfleet down` to stop it")
    return ctx.report
