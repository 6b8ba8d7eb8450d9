"""``status``: each process's live state (running / crashed / stopped), version and log tail."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Literal

import httpx

from modelfleet.cli.fleet.spec import CORE_SERVICES
from modelfleet.cli.fleet.state import ProcessRecord
from modelfleet.cli.fleet.supervisor import Supervisor, is_running, log_tail, probe, ready_path

State = Literal["running", "crashed", "stopped"]
PACKAGES = {
    "mlflow": "mlflow",
    "trainer": "modelfleet-trainer",
    "collector": "modelfleet-collector",
    "drift-monitor": "modelfleet-drift-monitor",
}


@dataclass
class ServiceStatus:
    """What ``status`` shows for one process."""

    record: ProcessRecord
    state: State
    ready: bool
    version: str | None
    log_tail: str = ""


def fleet_status(sup: Supervisor) -> list[ServiceStatus]:
    """Every core service (recorded or not) and every recorded deployment."""
    state = sup.state()
    records = {n: state.processes.get(n) or _unstarted(sup, n) for n in CORE_SERVICES}
    records.update({r.name: r for r in state.model_servers()})
    return [_status(r) for r in records.values()]


def _unstarted(sup: Supervisor, name: str) -> ProcessRecord:
    spec = sup.specs[name]
    log = sup.settings.logs_dir / f"{name}.log"
    return ProcessRecord(name=name, kind="core", port=spec.port, url=spec.url, log=str(log))


def _status(record: ProcessRecord) -> ServiceStatus:
    if record.pid is None:
        return ServiceStatus(record, "stopped", False, _static_version(record))
    if not is_running(record):
        return ServiceStatus(
            record, "crashed", False, _static_version(record), log_tail(record.log)
        )
    ready = probe(record.url, ready_path(record))
    version = _served_version(record) if ready else None
    return ServiceStatus(record, "running", ready, version or _static_version(record))


def _static_version(record: ProcessRecord) -> str | None:
    if record.kind == "model-server":
        return record.version or (f"@{record.alias}" if record.alias else None)
    try:
        return package_version(PACKAGES[record.name])
    except (KeyError, PackageNotFoundError):
        return None


def _served_version(record: ProcessRecord) -> str | None:
    """The concrete version a running model-server reports (an alias resolves at start)."""
    if record.kind != "model-server":
        return None
    try:
        response = httpx.get(record.url + "/v1/model", timeout=1.0)
        version = response.json().get("version") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    if version is None:
        return None
    return f"{version} (@{record.alias})" if record.alias else str(version)
