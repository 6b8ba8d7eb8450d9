"""Process liveness and process-group signalling for processes started by an earlier command.

``modelfleet up`` exits after starting the fleet, so later commands only know pids from the state
file. A pid alone can lie: the process may be a zombie or the pid may have been reused. Linux's
``/proc/<pid>/stat`` gives the state, the process group and the start time that pins the pid to
the process we started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 is the state letter)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """Kernel start time of ``pid`` in clock ticks (None when it does not exist)."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_alive(pid: int, started: int | None = None) -> bool:
    """True when ``pid`` runs (not a zombie) and, if given, started at ``started``."""
    _reap(pid)
    fields = _stat_fields(pid)
    if fields is None:
        if PROC.is_dir():
            return False
        try:  # no /proc (macOS): a signal 0 is the best we have
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    if fields[0] in ("Z", "X"):
        return False
    return started is None or int(fields[19]) == started


def group_members(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid`` (the service and any workers it forked)."""
    members = []
    for entry in PROC.iterdir() if PROC.is_dir() else []:
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pgid)
        if not group_members(pgid) and not is_alive(pgid):
            return True
        time.sleep(0.1)
    return False


def stop_group(pgid: int, timeout: float = 10.0) -> None:
    """SIGTERM the whole group, SIGKILL what is left after ``timeout``; return once it is gone."""
    _signal_group(pgid, signal.SIGTERM)
    if _wait_group_gone(pgid, timeout):
        return
    _signal_group(pgid, signal.SIGKILL)
    _wait_group_gone(pgid, 5.0)
