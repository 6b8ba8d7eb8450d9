"""Everything a caller can send wrong gives a 4xx naming the problem, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess
from tests.model_server.conftest import StartServer, records

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def row(gaming_rows: pd.DataFrame) -> dict[str, Any]:
    return records(gaming_rows.head(1))[0]


def post(server: ManagedProcess, body: Any, **kwargs: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.post(
            server.url + "/v1/predict",
            content=body,
            headers={"content-type": "application/json"},
            **kwargs,
        )
    return httpx.post(server.url + "/v1/predict", json=body, **kwargs)


@pytest.mark.parametrize(
    ("change", "status", "named"),
    [
        pytest.param(
            lambda r: {"records": [{k: v for k, v in r.items() if k != "Age"}]},
            422,
            "Age",
            id="missing-column",
        ),
        pytest.param(lambda r: {"records": [{**r, "Shoe": 42}]}, 422, "Shoe", id="unknown-column"),
        pytest.param(
            lambda r: {"records": [{**r, "Age": "old"}]}, 422, "'Age'", id="string-for-number"
        ),
        pytest.param(
            lambda r: {"records": [{**r, "Gender": 3}]}, 422, "'Gender'", id="number-for-string"
        ),
        pytest.param(
            lambda r: {"records": [{**r, "Age": True}]}, 422, "'Age'", id="bool-for-number"
        ),
        pytest.param(lambda r: {"records": []}, 422, "empty", id="empty-batch"),
        pytest.param(lambda r: {"rows": [r]}, 422, "records", id="no-records"),
        pytest.param(
            lambda r: {"records": [r], "entity_ids": ["a", "b"]},
            422,
            "entity_ids",
            id="entity-count",
        ),
        pytest.param(lambda r: {"records": [r, [1, 2]]}, 422, "row 1", id="row-not-object"),
        pytest.param(
            lambda r: {"records": [r], "entity_ids": ["x" * 201]},
            422,
            "entity_ids[0]",
            id="entity-id-too-long",
        ),
        pytest.param(lambda r: [r], 422, "object", id="not-an-object"),
        pytest.param(lambda r: b'{"records": [', 422, "malformed JSON", id="malformed-json"),
        pytest.param(lambda r: b"", 422, "empty body", id="empty-body"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_problem(
    served: ManagedProcess, row: dict[str, Any], change: Any, status: int, named: str
) -> None:
    response = post(served, change(dict(row)))
    assert response.status_code == status, response.text
    assert named in response.json()["detail"]


def test_missing_value_is_imputed_not_refused(served: ManagedProcess, row: dict[str, Any]) -> None:
    response = post(served, {"records": [{**row, "Age": None, "Location": None}]})
    assert response.status_code == 200, response.text


def test_limits_and_ignore_mode(
    registered_model: dict[str, str],
    start_server: StartServer,
    tmp_path_factory: pytest.TempPathFactory,
    row: dict[str, Any],
) -> None:
    server = start_server(
        registered_model,
        state_dir=tmp_path_factory.mktemp("limits"),
        MODELFLEET_MAX_ROWS="5",
        MODELFLEET_MAX_BODY_BYTES="4096",
        MODELFLEET_UNKNOWN_COLUMNS="ignore",
    )
    response = post(server, {"records": [row] * 6})
    assert response.status_code == 422 and "limit of 5 rows" in response.json()["detail"]
    response = post(server, {"records": [{**row, "Location": "x" * 5000}]})
    assert response.status_code == 413 and "4096-byte limit" in response.json()["detail"]
    response = post(server, {"records": [{**row, "Shoe": 42}]})
    assert response.status_code == 200, response.text
