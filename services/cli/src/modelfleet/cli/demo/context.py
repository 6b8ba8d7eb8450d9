"""What every step of the demo shares: config, fleet, service clients, report, database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from modelfleet.cli.demo.api import FleetApi
from modelfleet.cli.demo.config import DemoConfig
from modelfleet.cli.demo.data import DemoData
from modelfleet.cli.demo.report import DemoReport
from modelfleet.cli.fleet.supervisor import Supervisor


@dataclass
class DemoContext:
    config: DemoConfig
    supervisor: Supervisor
    api: FleetApi
    data: DemoData
    engine: Engine
    report: DemoReport = field(default_factory=DemoReport)

    @property
    def model(self) -> str:
        return self.config.model_name
