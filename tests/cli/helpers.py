"""Helpers shared by the fleet tests and the end-to-end demo test."""

from __future__ import annotations

from pathlib import Path

from modelfleet.cli.processes import free_port


def fleet_env(state_dir: Path, database_url: str = "") -> dict[str, str]:
    """Environment for a fleet on free ports in ``state_dir`` (COLUMNS keeps tables unwrapped)."""
    return {
        "MODELFLEET_STATE_DIR": str(state_dir),
        "MODELFLEET_DATABASE_URL": database_url,
        "MODELFLEET_MLFLOW_PORT": str(free_port()),
        "MODELFLEET_TRAINER_PORT": str(free_port()),
        "MODELFLEET_COLLECTOR_PORT": str(free_port()),
        "MODELFLEET_DRIFT_MONITOR_PORT": str(free_port()),
        "MODELFLEET_MODEL_SERVER_BASE_PORT": str(free_port()),
        "COLUMNS": "200",
    }


def group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) pids in process group ``pgid``, read independently from /proc."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            alive.append(int(entry.name))
    return alive
