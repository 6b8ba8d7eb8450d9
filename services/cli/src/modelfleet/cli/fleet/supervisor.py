"""Start, watch and stop the fleet's processes; the state file is the single source of truth.

Each process runs in its own session (``start_new_session``), so its pid is also its process
group id and ``down`` signals the whole group: an MLflow server's workers go with it and no
orphan is left behind. Readiness is each service's probe (``/readyz``, MLflow's ``/health``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from modelfleet.cli.fleet import procs
from modelfleet.cli.fleet.spec import (
    CORE_SERVICES,
    FleetSettings,
    ServiceSpec,
    core_specs,
    deployment_name,
    model_server_spec,
)
from modelfleet.cli.fleet.state import FleetState, ProcessRecord, locked_state, read_state
from modelfleet.cli.processes import start_process
from modelfleet.common.errors import ModelfleetError


class FleetError(ModelfleetError):
    """Something the user can act on: a busy port, a crashed service, a missing fleet."""


def log_tail(path: str | Path, lines: int = 15) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def probe(url: str, path: str, timeout: float = 1.0) -> bool:
    """True when ``url + path`` answers 200 right now."""
    try:
        return httpx.get(url + path, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def ready_path(record: ProcessRecord) -> str:
    return "/health" if record.name == "mlflow" else "/readyz"


def is_running(record: ProcessRecord) -> bool:
    """The recorded process is alive and is the one we started (not a reused pid)."""
    return record.pid is not None and procs.is_alive(record.pid, record.start_time)


class Supervisor:
    """The local fleet of one state directory."""

    def __init__(self, settings: FleetSettings) -> None:
        self.settings = settings
        self.specs = core_specs(settings)

    def state(self) -> FleetState:
        return read_state(self.settings.state_file)

    # -- starting ---------------------------------------------------------------------------

    def up(self, names: Iterable[str] | None = None) -> list[tuple[ProcessRecord, bool]]:
        """Start the named core services (default: all, plus every remembered deployment).

        Returns each record with whether it was started now (False: it was already running).
        """
        wanted = list(names) if names else list(CORE_SERVICES)
        unknown = [n for n in wanted if n not in self.specs]
        if unknown:
            raise FleetError(f"unknown service(s) {', '.join(unknown)}; known: {CORE_SERVICES}")
        specs = [self.specs[n] for n in wanted]
        if not names:
            for record in self.state().model_servers():
                assert record.model is not None
                ref = record.version or record.alias or ""
                specs.append(model_server_spec(self.settings, record.model, ref, record.port))
        with locked_state(self.settings.state_file) as state:
            return [self._ensure_started(state, spec) for spec in specs]

    def _ensure_started(self, state: FleetState, spec: ServiceSpec) -> tuple[ProcessRecord, bool]:
        current = state.processes.get(spec.name)
        if current is not None and is_running(current):
            return current, False
        if not _port_free(self.settings.host, spec.port):
            raise FleetError(
                f"port {spec.port} for {spec.name} is taken by another program; stop it or "
                f"choose other ports (MODELFLEET_{spec.name.upper().replace('-', '_')}_PORT)"
            )
        log_path = self.settings.logs_dir / f"{spec.name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("a") as log:  # marks where this run starts in an appended log
            log.write(
                f"=== modelfleet: starting {spec.name} at {datetime.now(UTC):%F %T} UTC ===\n"
            )
        proc = start_process(spec.name, spec.cmd, url=spec.url, log_path=log_path, env=spec.env)
        record = ProcessRecord(
            name=spec.name,
            kind=spec.kind,
            port=spec.port,
            url=spec.url,
            log=str(log_path),
            pid=proc.process.pid,
            start_time=procs.start_time(proc.process.pid),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            model=spec.model,
            version=spec.version,
            alias=spec.alias,
        )
        state.processes[spec.name] = record
        return record, True

    def wait_ready(
        self,
        records: list[ProcessRecord],
        on_ready: Callable[[ProcessRecord], None] = lambda _r: None,
        timeout: float | None = None,
    ) -> None:
        """Poll until every record answers its probe; FleetError with the log tail otherwise."""
        deadline = time.monotonic() + (timeout or self.settings.ready_timeout)
        pending = {r.name: r for r in records}
        while pending:
            for name, record in list(pending.items()):
                if not is_running(record):
                    raise FleetError(
                        f"{name} exited during start-up; last lines of {record.log}:\n"
                        f"{log_tail(record.log)}"
                    )
                if probe(record.url, ready_path(record)):
                    del pending[name]
                    on_ready(record)
            if not pending:
                return
            if time.monotonic() > deadline:
                names = ", ".join(pending)
                first = next(iter(pending.values()))
                raise FleetError(
                    f"not ready after {timeout or self.settings.ready_timeout:.0f}s: {names}; "
                    f"last lines of {first.log}:\n{log_tail(first.log)}"
                )
            time.sleep(0.3)

    # -- deployments ------------------------------------------------------------------------

    def deploy(self, model: str, ref: str) -> tuple[ProcessRecord, bool]:
        """Start a model-server for ``model`` at version or alias ``ref`` on the next free port."""
        name = deployment_name(model, ref)
        with locked_state(self.settings.state_file) as state:
            mlflow = state.processes.get("mlflow")
            if mlflow is None or not is_running(mlflow):
                raise FleetError("the fleet is not running here; run `modelfleet up` first")
            _check_registered(self.settings.mlflow_url, model, ref)
            existing = state.processes.get(name)
            port = existing.port if existing else self._next_port(state)
            spec = model_server_spec(self.settings, model, ref, port)
            return self._ensure_started(state, spec)

    def _next_port(self, state: FleetState) -> int:
        taken = {r.port for r in state.processes.values()}
        port = self.settings.model_server_base_port
        while port in taken or not _port_free(self.settings.host, port):
            port += 1
        return port

    def undeploy(self, model: str, ref: str) -> ProcessRecord:
        """Stop a deployed version's server and forget the deployment."""
        name = deployment_name(model, ref)
        with locked_state(self.settings.state_file) as state:
            record = state.processes.get(name)
            if record is None:
                deployed = ", ".join(r.name for r in state.model_servers()) or "none"
                raise FleetError(f"{model} {ref} is not deployed here (deployed: {deployed})")
            self._stop(record)
            del state.processes[name]
            return record

    # -- stopping ---------------------------------------------------------------------------

    def down(self) -> list[ProcessRecord]:
        """Stop every process, model-servers first; deployments are remembered for ``up``."""
        with locked_state(self.settings.state_file) as state:
            order = sorted(state.processes.values(), key=_stop_order)
            stopped = [r for r in order if r.pid is not None and self._stop(r)]
            return stopped

    @staticmethod
    def _stop(record: ProcessRecord) -> bool:
        """Stop the record's process group; True when something was running."""
        if record.pid is None:
            return False
        was_running = is_running(record) or bool(procs.group_members(record.pid))
        if was_running:
            procs.stop_group(record.pid)
        record.pid = None
        record.start_time = None
        return was_running


def _check_registered(tracking_uri: str, model: str, ref: str) -> None:
    """Refuse to start a server for a version or alias the registry does not know."""
    # Imported here: MLflow takes seconds to import and only deploy needs it.
    from mlflow import MlflowClient

    from modelfleet.common.mlflow_registry import ModelRef, resolve

    model_ref = ModelRef(model, version=ref) if ref.isdigit() else ModelRef(model, alias=ref)
    try:
        resolve(MlflowClient(tracking_uri=tracking_uri), model_ref)
    except ModelfleetError as exc:
        raise FleetError(exc.detail) from exc


def _stop_order(record: ProcessRecord) -> int:
    """Model-servers first, MLflow last (everyone else depends on it)."""
    if record.kind == "model-server":
        return 0
    return 2 if record.name == "mlflow" else 1
