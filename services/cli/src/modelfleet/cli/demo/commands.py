"""``modelfleet demo``: the whole loop on synthetic gaming data, on the local fleet."""

from __future__ import annotations

import typer

from modelfleet.cli.console import fail
from modelfleet.cli.demo.api import DemoError
from modelfleet.cli.demo.config import DemoConfig
from modelfleet.cli.demo.runner import run_demo
from modelfleet.cli.fleet.spec import FleetSettings
from modelfleet.cli.fleet.state import StateFileError
from modelfleet.cli.fleet.supervisor import FleetError


def demo(
    fast: bool = typer.Option(False, "--fast", help="Small data and 4 days (about 2 minutes)"),
    exit_after: bool = typer.Option(False, "--exit", help="Stop the fleet when the demo ends"),
    days: int = typer.Option(None, "--days", min=2, help="Simulated days of traffic"),
) -> None:
    """Train, serve, evaluate, promote, drift and retrain on synthetic gaming data."""
    base = DemoConfig.fast() if fast else DemoConfig()
    try:
        run_demo(base.with_days(days), FleetSettings(), stop_after=exit_after)
    except (DemoError, FleetError, StateFileError, ValueError) as exc:
        fail(str(exc))
