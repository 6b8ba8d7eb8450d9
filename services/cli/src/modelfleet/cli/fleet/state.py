"""The fleet state file ``<state dir>/fleet.json``: what runs where, shared by every command.

Format (version 1), also read by other tools (e.g. the collector's local discovery)::

    {"version": 1,
     "processes": {"<name>": {"name", "kind": "core"|"model-server", "port", "url", "pid",
                              "start_time", "log", "started_at", "model", "version", "alias"}}}

``pid`` is null for a stopped process. A model-server entry stays after ``down`` (the deployment
is remembered and restarted by the next ``up``) until ``undeploy`` removes it.
Every read-modify-write holds an exclusive lock on ``fleet.lock`` so concurrent commands
(``deploy`` while the demo runs) never lose an entry.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelfleet.common.errors import ModelfleetError

STATE_VERSION = 1


@dataclass
class ProcessRecord:
    """One process of the fleet as recorded in the state file."""

    name: str
    kind: str
    port: int
    url: str
    log: str
    pid: int | None = None
    start_time: int | None = None
    started_at: str | None = None
    model: str | None = None
    version: str | None = None
    alias: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProcessRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class FleetState:
    """All recorded processes, keyed by name."""

    processes: dict[str, ProcessRecord] = field(default_factory=dict)

    def model_servers(self) -> list[ProcessRecord]:
        return [r for r in self.processes.values() if r.kind == "model-server"]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "processes": {name: asdict(r) for name, r in sorted(self.processes.items())},
        }


def read_state(path: Path) -> FleetState:
    """The recorded state, empty when no fleet ever ran here."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return FleetState()
    except (OSError, ValueError) as exc:
        raise StateFileError(f"cannot read fleet state {path}: {exc}") from exc
    records = data.get("processes", {})
    return FleetState({n: ProcessRecord.from_json(r) for n, r in records.items()})


def _write_state(path: Path, state: FleetState) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=2) + "\n")
    os.replace(tmp, path)


@contextmanager
def locked_state(path: Path) -> Iterator[FleetState]:
    """Hold the lock, yield the state, write it back when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / "fleet.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = read_state(path)
            yield state
            _write_state(path, state)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class StateFileError(ModelfleetError):
    """The state file exists but cannot be used."""
