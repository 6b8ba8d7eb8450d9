"""The ingest parser on its own (no database): it names the first bad row and field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from modelfleet.collector.ingest.parsing import MAX_BATCH_ROWS, parse_prediction_batch
from modelfleet.common.errors import BadRequestError


def log(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "request_id": "r1",
        "row_index": 0,
        "model_name": "engagement",
        "model_version": "3",
        "features": {"Age": 30},
        "prediction": "High",
        "probabilities": {"High": 0.75, "Low": 0.25},
        "latency_ms": 1.5,
        "created_at": "2026-12-01T10:00:00+00:00",
    }
    row.update(overrides)
    return row


def parse(*rows: dict[str, Any]) -> list[Any]:
    return parse_prediction_batch(orjson.dumps({"predictions": list(rows)}))


def test_a_good_row_keeps_every_field_with_defaults() -> None:
    (row,) = parse(log())
    assert row.request_id == "r1" and row.row_index == 0 and row.entity_id is None
    assert row.source == "online" and row.evaluation_id is None
    assert row.features == {"Age": 30} and row.prediction == "High"
    assert row.created_at == datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"request_id": None}, "predictions[1].request_id: field required"),
        ({"request_id": ""}, "predictions[1].request_id: must not be empty"),
        ({"request_id": "x" * 65}, "predictions[1].request_id: at most 64 characters"),
        ({"row_index": -1}, "predictions[1].row_index: must be an integer >= 0"),
        ({"row_index": 1.5}, "predictions[1].row_index"),
        ({"source": "live"}, "predictions[1].source: must be one of"),
        ({"features": [1]}, "predictions[1].features: must be an object"),
        ({"probabilities": {"High": "x"}}, "predictions[1].probabilities: values must be numbers"),
        ({"prediction": None}, "predictions[1].prediction: field required"),
        ({"entity_id": "e" * 201}, "predictions[1].entity_id: at most 200 characters"),
        ({"latency_ms": "fast"}, "predictions[1].latency_ms: must be a number"),
        ({"created_at": "yesterday"}, "predictions[1].created_at: not an ISO 8601 timestamp"),
    ],
)
def test_the_first_bad_row_is_named_with_its_field(bad: dict[str, Any], problem: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        parse(log(), log(**{"row_index": 1, **bad}))
    assert problem in refused.value.detail


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "body: not valid JSON"),
        (b"[]", "predictions: field required"),
        (b'{"predictions": []}', "at least one prediction log"),
    ],
)
def test_bodies_that_are_not_batches_are_refused(body: bytes, problem: str) -> None:
    with pytest.raises(BadRequestError, match=problem):
        parse_prediction_batch(body)


def test_oversized_batches_are_refused() -> None:
    rows = [log(row_index=i) for i in range(MAX_BATCH_ROWS + 1)]
    with pytest.raises(BadRequestError, match=f"at most {MAX_BATCH_ROWS} rows"):
        parse(*rows)
