"""Worker processes of one model server: how many, which slot each holds, whether all are ready.

Every worker process loads the model, batches and ships logs on its own; they share the
listening socket. A worker holds one *slot* of the server's instance directory through an
exclusive ``flock`` on ``slot-<i>.lock`` for as long as it lives, so a worker that dies
(even by ``kill -9``) frees its slot at once, and the worker started in its place takes the
same slot, with that slot's log spool to replay. A worker marks its slot ready once its model
is loaded and verified; the server is ready only when every slot is held by a live worker that
marked it ready.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import itertools
import math
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_V2_CPU = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def cpu_limit() -> int:
    """The CPUs this process may use: its cgroup's CPU quota (a pod's limit), else affinity."""
    available = len(os.sched_getaffinity(0))
    quota = _cgroup_quota()
    return max(1, min(available, math.ceil(quota))) if quota else available


def _cgroup_quota() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        quota, period = CGROUP_V2_CPU.read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    with contextlib.suppress(OSError, ValueError):
        quota_us = int(CGROUP_V1_QUOTA.read_text())
        return None if quota_us <= 0 else quota_us / int(CGROUP_V1_PERIOD.read_text())
    return None


PR_SET_PDEATHSIG = 1


def exit_with_supervisor() -> None:
    """In a worker process: receive SIGTERM when the supervising process dies.

    uvicorn's supervisor starts the workers; if it is killed (``kill -9``, an OOM kill) they
    would otherwise keep serving the shared port as orphans with nobody to restart or stop
    them. SIGTERM, not SIGKILL, so an orphaned worker still spools the logs it holds.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not a worker: the single-process server
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent.pid:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


@dataclass
class WorkerSlot:
    """The slot this worker process holds (released when the process exits).

    ``previous_pid`` is the process that held it before, if any: a worker that died, whose
    per-process leftovers (its live gauges) the new holder clears.
    """

    index: int
    directory: Path
    previous_pid: int | None
    _fd: int

    def mark_ready(self) -> None:
        (self.directory / f"slot-{self.index}.ready").touch()

    def release(self) -> None:
        (self.directory / f"slot-{self.index}.ready").unlink(missing_ok=True)
        os.close(self._fd)


class WorkerSlots:
    """The ``count`` slots of one server instance under ``directory``.

    ``count`` None is an open-ended set (batch scoring runs: each takes the first free slot and
    the spool a crashed run left in it).
    """

    def __init__(self, directory: Path, count: int | None) -> None:
        self.directory = directory
        self.count = count

    def claim(self, timeout: float = 30.0) -> WorkerSlot:
        """The first free slot; waits while all are held (a replaced worker is still exiting)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:
            for index in itertools.count() if self.count is None else range(self.count):
                fd = self._try_lock(index)
                if fd is not None:
                    (self.directory / f"slot-{index}.ready").unlink(missing_ok=True)
                    return WorkerSlot(index, self.directory, _swap_pid(fd), fd)
            if time.monotonic() > deadline:
                raise RuntimeError(f"all {self.count} worker slots in {self.directory} are held")
            time.sleep(0.1)

    def not_ready(self) -> str | None:
        """None when every slot is held by a worker that marked it ready, else why not."""
        loading = []
        count = self.count or 0
        for index in range(count):
            fd = self._try_lock(index)
            if fd is not None:  # nobody holds it: that worker is gone and not yet replaced
                os.close(fd)
                return f"worker {index + 1} of {count} is not running"
            if not (self.directory / f"slot-{index}.ready").exists():
                loading.append(str(index + 1))
        if loading:
            return f"worker(s) {', '.join(loading)} of {count} still loading"
        return None

    def _try_lock(self, index: int) -> int | None:
        """An exclusively locked descriptor of the slot's lock file, or None when it is held."""
        fd = os.open(self.directory / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd


def _swap_pid(fd: int) -> int | None:
    """Write this process's id into a lock file just locked; the id it held before."""
    previous = os.pread(fd, 32, 0).decode(errors="replace").strip()
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return int(previous) if previous.isdigit() and int(previous) != os.getpid() else None
