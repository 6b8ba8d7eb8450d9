"""A large batch is decoded, checked and predicted off the event loop: others are answered."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.model_server.conftest import StartServer, records

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "fast_path",
    ["false", "true"],  # scikit-learn on a DataFrame (slowest); the compiled path with inlining
)
def test_healthz_stays_quick_while_a_large_batch_predicts(
    fast_path: str,
    registered_model: dict[str, str],
    start_server: StartServer,
    gaming_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    server = start_server(
        registered_model,
        state_dir=tmp_path / "state",
        MODELFLEET_MAX_ROWS="200000",
        MODELFLEET_MAX_BODY_BYTES=str(128 * 1024 * 1024),
        MODELFLEET_COMPILED=fast_path,
        MODELFLEET_INLINE_PREDICT_MS="5",  # small batches on the loop, this one never
    )
    rows = records(gaming_rows)
    big = {"records": (rows * (100_000 // len(rows) + 1))[:100_000]}
    answered: dict[str, float] = {}

    def predict_big() -> None:
        start = time.perf_counter()
        response = httpx.post(server.url + "/v1/predict", json=big, timeout=300)
        answered["seconds"] = time.perf_counter() - start
        answered["status"] = response.status_code

    worker = threading.Thread(target=predict_big)
    worker.start()
    latencies = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while worker.is_alive():
            start = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - start)
    worker.join()
    assert answered["status"] == 200
    assert answered["seconds"] > 1.0, "the batch must be large enough to show a stall"
    assert len(latencies) >= 5
    assert max(latencies) < answered["seconds"] / 4, (
        f"/healthz took up to {max(latencies):.3f}s during a {answered['seconds']:.2f}s batch"
    )
