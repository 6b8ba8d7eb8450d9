"""Prediction logs reach a real HTTP receiver; when it is down they are spooled and replayed in
order, exactly once, also across a restart of the model server; refused batches are kept aside."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess, free_port
from modelfleet.common.wire import SOURCE_HEADER, PredictionLogBatch
from tests.model_server.conftest import StartReceiver, StartServer, records
from tests.polling import wait_for

pytestmark = pytest.mark.integration


def received(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [orjson.loads(line) for line in out.read_bytes().splitlines() if line]


def metric(server: ManagedProcess, outcome: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    found = re.search(rf'modelfleet_prediction_logs_total\{{outcome="{outcome}"\}} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def predict(server: ManagedProcess, rows: list[dict[str, Any]], first_id: int) -> str:
    ids = [f"player-{first_id + i}" for i in range(len(rows))]
    response = httpx.post(server.url + "/v1/predict", json={"records": rows, "entity_ids": ids})
    assert response.status_code == 200, response.text
    return str(response.json()["request_id"])


def logging_env(port: int, spool: Path) -> dict[str, str]:
    return {
        "MODELFLEET_COLLECTOR_URL": f"http://127.0.0.1:{port}",
        "MODELFLEET_SPOOL_DIR": str(spool),
        "MODELFLEET_LOG_FLUSH_SECONDS": "0.2",
        "MODELFLEET_LOG_BATCH_SIZE": "7",
        "MODELFLEET_LOG_RETRY_MAX_SECONDS": "1",
    }


def test_logs_arrive_with_everything_the_collector_needs(
    registered_model: dict[str, str],
    start_server: StartServer,
    start_receiver: StartReceiver,
    gaming_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    port, out = free_port(), tmp_path / "received.jsonl"
    start_receiver(port, out)
    server = start_server(
        registered_model, state_dir=tmp_path / "state", **logging_env(port, tmp_path / "spool")
    )
    rows = records(gaming_rows.head(3))
    golden = httpx.post(
        server.url + "/v1/predict",
        json={"records": records(gaming_rows.tail(4))},
        headers={SOURCE_HEADER: "evaluation"},
    )
    assert golden.status_code == 200, golden.text
    request_id = predict(server, rows, 0)
    # The evaluation request was answered first and logs ship in order: had it been logged, its
    # rows would have arrived before (or with) the online ones.
    wait_for(lambda: len(received(out)) >= 3, timeout=20, what="three logged rows")
    logs = PredictionLogBatch.model_validate({"predictions": received(out)}).predictions
    # Only the online request is logged: the collector stores golden-set answers itself.
    assert [(log.request_id, log.row_index) for log in logs] == [(request_id, i) for i in range(3)]
    assert [log.entity_id for log in logs] == ["player-0", "player-1", "player-2"]
    assert all(log.source == "online" and log.model_version == "1" for log in logs)
    assert logs[1].features == rows[1]
    assert logs[0].probabilities and abs(sum(logs[0].probabilities.values()) - 1) < 1e-9
    assert logs[0].prediction == max(logs[0].probabilities, key=logs[0].probabilities.__getitem__)


def test_receiver_down_spools_and_replays_in_order_across_a_restart(
    registered_model: dict[str, str],
    start_server: StartServer,
    start_receiver: StartReceiver,
    gaming_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    port, out, spool = free_port(), tmp_path / "received.jsonl", tmp_path / "spool"
    env = logging_env(port, spool)
    rows = records(gaming_rows.head(40))
    first = start_server(registered_model, state_dir=tmp_path / "state", **env)
    sent = [predict(first, rows[i : i + 2], i) for i in range(0, 20, 2)]
    wait_for(lambda: metric(first, "spooled") == 20, timeout=20, what="20 rows spooled")
    assert len(list(spool.glob("worker-0/*.json"))) >= 2
    server_port = int(first.url.rsplit(":", 1)[1])
    first.stop()  # SIGTERM: what is still in memory goes to the spool
    assert "stay spooled" in first.log_tail(20)

    second = start_server(registered_model, state_dir=tmp_path / "state", port=server_port, **env)
    sent += [predict(second, rows[i : i + 2], i) for i in range(20, 30, 2)]
    wait_for(lambda: metric(second, "spooled") == 10, timeout=20, what="new rows behind the spool")
    start_receiver(port, out)
    wait_for(lambda: metric(second, "shipped") == 30, timeout=30, what="30 rows shipped")
    logs = received(out)
    keys = [(log["request_id"], log["row_index"]) for log in logs]
    assert keys == [(rid, i) for rid in sent for i in range(2)]  # in order, exactly once
    assert [log["entity_id"] for log in logs] == [f"player-{i}" for i in range(30)]
    wait_for(lambda: not list(spool.glob("worker-*/*.json")), timeout=10, what="an empty spool")
    assert metric(second, "dropped") == 0


def test_refused_batch_goes_to_dead_letter_and_is_counted(
    registered_model: dict[str, str],
    start_server: StartServer,
    start_receiver: StartReceiver,
    gaming_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    port, spool = free_port(), tmp_path / "spool"
    start_receiver(port, tmp_path / "received.jsonl", status=422)
    server = start_server(
        registered_model, state_dir=tmp_path / "state", **logging_env(port, spool)
    )
    predict(server, records(gaming_rows.head(2)), 0)
    wait_for(lambda: metric(server, "dead_letter") == 2, timeout=20, what="two dead-lettered rows")
    kept = list((spool / "worker-0" / "dead-letter").glob("*.json"))
    assert len(kept) == 1
    assert len(orjson.loads(kept[0].read_bytes())["predictions"]) == 2
    reason = kept[0].with_suffix(".reason.txt").read_text()
    assert "422" in reason and "refused by test receiver" in reason
    assert "collector refused 2 prediction logs" in server.log_tail(50)
