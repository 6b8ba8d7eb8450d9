"""``POST /v1/labels``: ground truth by entity id or prediction id, joined in the views."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.collector.conftest import prediction_logs

pytestmark = pytest.mark.integration


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def test_labels_by_entity_and_by_prediction_feed_online_accuracy(
    collector: httpx.Client, pg_clean: str
) -> None:
    logs = prediction_logs(4)  # predictions High, Medium, Low, High for player-0 … player-3
    assert collector.post("/v1/predictions", json={"predictions": logs}).status_code == 200
    [(player3_prediction,)] = _query(
        pg_clean, "SELECT id FROM predictions WHERE entity_id = 'player-3'"
    )
    labels = [
        {"entity_id": "player-0", "label": "High"},  # right
        {"entity_id": "player-1", "label": "Low"},  # wrong
        {"prediction_id": player3_prediction, "label": "High"},  # right
    ]
    response = collector.post("/v1/labels", json={"labels": labels})
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 3}
    [(predictions, labelled, correct, accuracy)] = _query(
        pg_clean,
        "SELECT predictions, labelled, correct, accuracy FROM v_online_accuracy "
        "WHERE model_name = 'm' AND model_version = '1'",
    )
    assert (predictions, labelled, correct) == (4, 3, 2)
    assert accuracy == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([{"label": "High"}], "labels[0]: give exactly one of entity_id and prediction_id"),
        (
            [{"entity_id": "p", "label": "Low"}, {"prediction_id": 999999, "label": "Low"}],
            "labels[1].prediction_id: no prediction 999999",
        ),
        ([{"entity_id": "p", "prediction_id": 1, "label": "Low"}], "labels[0]"),
        ([{"entity_id": "p"}], "labels.0.label"),
        ([{"entity_id": "p" * 201, "label": "Low"}], "labels[0].entity_id: at most 200"),
    ],
)
def test_bad_labels_are_refused_whole(
    collector: httpx.Client, pg_clean: str, labels: list[dict[str, object]], expected: str
) -> None:
    response = collector.post("/v1/labels", json={"labels": labels})
    assert response.status_code == 422
    assert expected in response.json()["detail"]
    assert _query(pg_clean, "SELECT COUNT(*) FROM labels") == [(0,)]
