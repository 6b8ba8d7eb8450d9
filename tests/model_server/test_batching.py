"""Adaptive batching: requests coalesce, results equal unbatched ones, errors stay local."""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.batching import Batcher
from modelfleet.model_server.execution import (
    PipelineExecution,
    PredictCost,
    PreprocessedExecution,
)
from modelfleet.model_server.preprocessing import CompiledPreprocessing
from modelfleet.model_server.runtime import Prediction
from modelfleet.model_server.schema import Batch, Column, InputSchema
from modelfleet.trainer.pipeline import build_pipeline
from tests.model_server.conftest import StartServer, records


async def _burst(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return await asyncio.gather(*(client.post("/v1/predict", json=b) for b in bodies))


def _batches_and_rows(url: str) -> tuple[float, float]:
    text = httpx.get(url + "/metrics").text
    count = re.search(r"^modelfleet_batch_rows_count\{[^}]*\} ([0-9.e+]+)$", text, re.M)
    total = re.search(r"^modelfleet_batch_rows_sum\{[^}]*\} ([0-9.e+]+)$", text, re.M)
    assert count and total
    return float(count.group(1)), float(total.group(1))


@pytest.mark.integration
def test_batched_equals_unbatched_and_a_bad_request_fails_alone(
    registered_model: dict[str, str],
    start_server: StartServer,
    tmp_path_factory: pytest.TempPathFactory,
    gaming_rows: pd.DataFrame,
) -> None:
    batched = start_server(
        registered_model,
        state_dir=tmp_path_factory.mktemp("batched"),
        MODELFLEET_MAX_BATCH_WAIT_MS="25",
        MODELFLEET_MAX_BATCH_SIZE="64",
    )
    plain = start_server(
        registered_model, state_dir=tmp_path_factory.mktemp("plain"), MODELFLEET_BATCHING="false"
    )
    sample = gaming_rows.sample(60, random_state=5).reset_index(drop=True)
    rows = records(sample)
    bodies = [{"records": rows[i : i + 1 + i % 3]} for i in range(0, 48)]
    bad_at = 17
    bodies[bad_at] = {"records": [{**rows[0], "Age": "forty"}, rows[1]]}

    before = _batches_and_rows(batched.url)
    got = asyncio.run(_burst(batched.url, bodies))
    after = _batches_and_rows(batched.url)
    want = asyncio.run(_burst(plain.url, bodies))

    assert got[bad_at].status_code == 422 and "'Age'" in got[bad_at].json()["detail"]
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if i == bad_at:
            continue
        assert g.status_code == 200, g.text
        left, right = g.json()["predictions"], w.json()["predictions"]
        assert [p["prediction"] for p in left] == [p["prediction"] for p in right]
        assert [p["probabilities"] for p in left] == [p["probabilities"] for p in right]
        assert len(left) == len(bodies[i]["records"])
    batches, batch_rows = after[0] - before[0], after[1] - before[1]
    good_rows = sum(len(b["records"]) for i, b in enumerate(bodies) if i != bad_at)
    assert batch_rows == good_rows
    assert batches < len(bodies) / 2, f"{batches} model calls for {len(bodies)} requests"


def _schema() -> InputSchema:
    return InputSchema([Column("x", "double")])


def test_a_failing_request_inside_a_batch_does_not_fail_the_others() -> None:
    """When the coalesced call fails, each request is retried alone and only the culprit fails."""
    calls: list[int] = []

    def predict(batch: Batch) -> Prediction:
        calls.append(batch.size)
        values = batch.values["x"]
        if -1.0 in values:
            raise BadRequestError("x = -1 is not allowed by this model")
        proba = np.array([[v, 1 - v] for v in values])
        return Prediction(["a" if v > 0.5 else "b" for v in values], proba)

    async def scenario() -> list[Prediction | BaseException]:
        batcher = Batcher(predict, ThreadPoolExecutor(1), max_batch_size=100, max_wait=0.05)
        batcher.start()
        schema = _schema()
        inputs = [[0.9], [0.1, 0.2], [-1.0], [0.7]]
        try:
            return await asyncio.gather(
                *(batcher.submit(schema.from_records([{"x": v} for v in xs])) for xs in inputs),
                return_exceptions=True,
            )
        finally:
            await batcher.stop()

    results = asyncio.run(scenario())
    assert calls[0] == 5  # all four requests went into one call first
    assert isinstance(results[2], BadRequestError)
    ok = [r for r in results if isinstance(r, Prediction)]
    assert [r.labels for r in ok] == [["a"], ["b", "b"], ["a"]]
    np.testing.assert_array_equal(ok[1].probabilities, [[0.1, 0.9], [0.2, 0.8]])


def test_max_batch_size_splits_the_queue() -> None:
    sizes: list[int] = []

    def predict(batch: Batch) -> Prediction:
        sizes.append(batch.size)
        return Prediction(["a"] * batch.size, np.zeros((batch.size, 1)))

    async def scenario() -> None:
        batcher = Batcher(predict, ThreadPoolExecutor(1), max_batch_size=4, max_wait=0.05)
        batcher.start()
        schema = _schema()
        await asyncio.gather(
            *(batcher.submit(schema.from_records([{"x": 1.0}])) for _ in range(10))
        )
        await batcher.stop()

    asyncio.run(scenario())
    assert sum(sizes) == 10 and max(sizes) <= 4 and len(sizes) >= 3


def _calls_and_threads(
    sizes: list[list[int]], *, inline_rows: int, max_batch_size: int
) -> list[tuple[int, str]]:
    """Submit requests of these row counts (each inner list at once, the lists one after the
    other); the rows of each model call and the thread it ran on (``loop`` for the event loop's)."""
    calls: list[tuple[int, str]] = []

    def predict(batch: Batch) -> Prediction:
        calls.append((batch.size, threading.current_thread().name))
        return Prediction(["a"] * batch.size, np.zeros((batch.size, 1)))

    async def scenario() -> str:
        executor = ThreadPoolExecutor(1, thread_name_prefix="inference")
        batcher = Batcher(predict, executor, max_batch_size=max_batch_size, inline_rows=inline_rows)
        batcher.start()
        schema = _schema()
        for wave in sizes:
            await asyncio.gather(
                *(batcher.submit(schema.from_records([{"x": 1.0}] * n)) for n in wave)
            )
        await batcher.stop()
        executor.shutdown()
        return threading.current_thread().name

    loop = asyncio.run(scenario())
    return [(rows, "loop" if thread == loop else thread) for rows, thread in calls]


def test_batches_within_the_inline_budget_run_on_the_loop_larger_ones_on_the_thread() -> None:
    calls = _calls_and_threads([[3], [4]], inline_rows=3, max_batch_size=100)
    assert calls == [(3, "loop"), (4, "inference_0")]


def test_requests_within_the_inline_budget_are_batched_to_stay_inline() -> None:
    """Two 100-row requests with a 150-row budget: two inline calls, not one on the thread."""
    calls = _calls_and_threads([[100, 100, 40, 30, 200]], inline_rows=150, max_batch_size=256)
    assert calls == [(100, "loop"), (140, "loop"), (30, "loop"), (200, "inference_0")]


def test_the_inline_budget_comes_from_the_cost_measured_at_load() -> None:
    cost = PredictCost(fixed_seconds=2**-10, per_row_seconds=2**-16)
    assert cost.rows_within(2**-9) == 65  # the first row's call + 64 more rows fill the budget
    assert cost.rows_within(2**-11) == 0  # not even one row: every call goes to the thread
    frame = pd.DataFrame({"x": np.linspace(0, 1, 40), "y": ["p", "q"] * 20})
    pipeline = build_pipeline("logreg", {}, ["x"], []).fit(frame[["x"]], frame["y"])
    schema = _schema()
    one, many = (schema.from_records([{"x": 0.5}] * n) for n in (1, 2000))
    steps = CompiledPreprocessing.compile(pipeline)
    assert steps is not None
    fast = PredictCost.measure(PreprocessedExecution(steps, pipeline[-1].predict_proba), one, many)
    slow = PredictCost.measure(PipelineExecution(pipeline, schema), one, many)
    assert fast.fixed_seconds < slow.fixed_seconds
    assert fast.rows_within(0.01) > 1  # numpy preprocessing + logreg: well under 10 ms a call
    assert slow.rows_within(0.0002) == 0  # a DataFrame through the ColumnTransformer: never
