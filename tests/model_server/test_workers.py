"""Worker processes: slots survive kill -9, readiness waits for every worker, and the logs of
every worker are replayed exactly once after a restart, with as many workers or fewer."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pandas as pd
import pytest

from modelfleet.cli.processes import free_port
from modelfleet.model_server.workers import WorkerSlots
from tests.model_server.conftest import StartReceiver, StartServer, records
from tests.model_server.test_logging import logging_env, metric, received
from tests.polling import wait_for


def _hold_slot(directory: str, count: int, ready: bool, started: Any) -> None:
    slot = WorkerSlots(Path(directory), count).claim()
    if ready:
        slot.mark_ready()
    started.set()
    signal.pause()


def test_slots_are_freed_by_a_killed_worker_and_readiness_needs_every_worker(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    other = context.Process(target=_hold_slot, args=(str(tmp_path), 2, False, started))
    other.start()
    try:
        assert started.wait(30)
        slots = WorkerSlots(tmp_path, 2)
        mine = slots.claim(timeout=5)
        assert mine.index == 1, "slot 0 is held by the other worker"
        mine.mark_ready()
        assert slots.not_ready() == "worker(s) 1 of 2 still loading"
        os.kill(other.pid or 0, signal.SIGKILL)
        other.join(10)
        assert slots.not_ready() == "worker 1 of 2 is not running"
        replacement = slots.claim(timeout=5)
        assert replacement.index == 0 and replacement.previous_pid == other.pid
        replacement.mark_ready()
        assert slots.not_ready() is None
        with pytest.raises(RuntimeError, match="all 2 worker slots"):
            slots.claim(timeout=0.3)
    finally:
        if other.is_alive():
            other.kill()


def _spread(server_url: str, rows: list[dict[str, Any]], spool: Path, first: int) -> list[str]:
    """Requests on fresh connections until both workers have spooled some; their ids."""
    sent: list[str] = []

    def both_spooled() -> bool:
        for i in range(4):
            n = first + len(sent) + i
            body = {"records": rows[:2], "entity_ids": [f"p{n}-0", f"p{n}-1"]}
            answer = httpx.post(server_url + "/v1/predict", json=body, timeout=30)
            assert answer.status_code == 200, answer.text
            sent.append(answer.json()["request_id"])
        return all(any((spool / f"worker-{w}").glob("*.json")) for w in (0, 1))

    wait_for(both_spooled, timeout=60, what="both workers to answer and spool", interval=0.3)
    return sent


@pytest.mark.integration
@pytest.mark.timeout(1200)  # four two-worker servers start in turn: ~2 min each on a busy machine
def test_every_worker_logs_and_every_spool_is_replayed_once_after_restarts(
    registered_model: dict[str, str],
    start_server: StartServer,
    start_receiver: StartReceiver,
    gaming_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    port, out, spool = free_port(), tmp_path / "received.jsonl", tmp_path / "spool"
    env = {**logging_env(port, spool), "MODELFLEET_WORKERS": "2"}
    rows = records(gaming_rows.head(2))
    first = start_server(registered_model, state_dir=tmp_path / "state", **env)
    assert httpx.get(first.url + "/readyz").json() == {"status": "ready"}
    sent = _spread(first.url, rows, spool, 0)
    wait_for(
        lambda: metric(first, "spooled") == 2 * len(sent),
        timeout=20,
        what="every answered row spooled, summed over both workers",
    )
    server_port = int(first.url.rsplit(":", 1)[1])
    first.stop()

    # the same two workers again: each replays its own slot's spool
    second = start_server(registered_model, state_dir=tmp_path / "state", port=server_port, **env)
    receiver = start_receiver(port, out)
    wait_for(lambda: len(received(out)) >= 2 * len(sent), timeout=30, what="both spools replayed")
    wait_for(lambda: not list(spool.glob("worker-*/*.json")), timeout=20, what="empty spools")
    keys = Counter((log["request_id"], log["row_index"]) for log in received(out))
    assert keys == Counter((rid, i) for rid in sent for i in range(2))

    # collector down again, then back with ONE worker: worker-1's spool is adopted by worker 0
    second.stop()
    receiver.stop()
    third = start_server(registered_model, state_dir=tmp_path / "state", port=server_port, **env)
    more = _spread(third.url, rows, spool, len(sent))
    third.stop()
    single = {**env, "MODELFLEET_WORKERS": "1"}
    start_server(registered_model, state_dir=tmp_path / "state", port=server_port, **single)
    start_receiver(port, out)
    wait_for(
        lambda: len(received(out)) >= 2 * (len(sent) + len(more)),
        timeout=30,
        what="the orphaned worker-1 spool replayed by the single worker",
    )
    keys = Counter((log["request_id"], log["row_index"]) for log in received(out))
    assert keys == Counter((rid, i) for rid in sent + more for i in range(2))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.integration
def test_workers_of_a_killed_supervisor_spool_their_logs_and_exit(
    registered_model: dict[str, str],
    start_server: StartServer,
    gaming_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    """kill -9 of the server's main process: no orphan keeps the port, no answered row is lost."""
    port, spool = free_port(), tmp_path / "spool"
    env = {
        **logging_env(port, spool),  # nothing listens there: the collector is down
        "MODELFLEET_WORKERS": "2",
        "MODELFLEET_LOG_FLUSH_SECONDS": "3600",  # answered rows stay in memory until shutdown
        "MODELFLEET_LOG_BATCH_SIZE": "100000",
    }
    server = start_server(registered_model, state_dir=tmp_path / "state", **env)
    instance = next((tmp_path / "state" / "model-servers").iterdir())
    workers = [int((instance / f"slot-{i}.lock").read_text()) for i in (0, 1)]
    rows = records(gaming_rows.head(2))
    answered = []
    for n in range(20):
        body = {"records": rows, "entity_ids": [f"p{n}-0", f"p{n}-1"]}
        with httpx.Client() as fresh:  # a new connection each time, spread over both workers
            answer = fresh.post(server.url + "/v1/predict", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        answered.append(answer.json()["request_id"])

    os.kill(server.process.pid, signal.SIGKILL)  # the supervisor only, not its group
    server.process.wait(10)
    wait_for(lambda: not any(map(_alive, workers)), timeout=30, what="orphaned workers to exit")
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/healthz", timeout=2)
    spooled: Counter[tuple[str, int]] = Counter()
    for batch in spool.glob("worker-*/*.json"):
        for log in orjson.loads(batch.read_bytes())["predictions"]:
            spooled[(log["request_id"], log["row_index"])] += 1
    assert spooled == Counter((rid, i) for rid in answered for i in range(2))
