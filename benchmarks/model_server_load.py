"""Load generation for ``bench_model_server.py``: ``wrk`` with a POST script, parsed."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*all")
f:close()
"""


@dataclass
class LoadResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    stall_p99_ms: float = float("nan")
    """How late an idle thread of this process woke from 1 ms sleeps during the run (99th
    percentile): the scheduling delay the machine itself imposes on any process, the floor
    under every p99 measured in that run."""


class StallProbe:
    """Sleeps 1 ms at a time on a thread and records how late each wake-up is."""

    def __init__(self) -> None:
        self._late: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StallProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            time.sleep(0.001)
            self._late.append(time.perf_counter() - start - 0.001)

    def p99_ms(self) -> float:
        late = sorted(self._late)
        return late[int(len(late) * 0.99)] * 1000.0 if late else float("nan")


def ensure_wrk() -> str:
    """The ``wrk`` binary, installed with apt-get when missing (the benchmark's one system tool)."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def run_wrk(
    wrk: str, url: str, body: bytes, *, connections: int, seconds: int, workdir: Path
) -> LoadResult:
    """POST ``body`` to ``url`` from ``connections`` keep-alive connections for ``seconds``."""
    workdir.mkdir(parents=True, exist_ok=True)
    body_path = workdir / f"body-{abs(hash(body))}.json"
    body_path.write_bytes(body)
    script = workdir / f"post-{abs(hash(body))}.lua"
    script.write_text(LUA.format(body=body_path))
    with StallProbe() as probe:
        out = _wrk(wrk, url, script, connections, seconds)
    result = parse(out)
    result.stall_p99_ms = probe.p99_ms()
    return result


def _wrk(wrk: str, url: str, script: Path, connections: int, seconds: int) -> str:
    return subprocess.run(
        [
            *(wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"),
            *("-s", str(script), url),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency(out: str, percentile: str) -> float:
    found = re.search(rf"^\s*{percentile}%\s+([0-9.]+)(us|ms|s)\s*$", out, re.M)
    return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")


def parse(out: str) -> LoadResult:
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return LoadResult(
        requests_per_s=float(rps.group(1)) if rps else 0.0,
        p50_ms=_latency(out, "50"),
        p99_ms=_latency(out, "99"),
        errors=errors,
    )
