"""``POST /v1/predictions`` over real HTTP into the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from modelfleet.cli.processes import free_port
from modelfleet.collector.ingest.parsing import PredictionRow, parse_prediction_batch
from modelfleet.collector.ingest.store import PredictionWriter
from modelfleet.common.db.engine import make_engine
from modelfleet.common.db.errors import database_error
from modelfleet.common.db.migrate import upgrade
from modelfleet.common.db.models import Prediction
from modelfleet.common.errors import BadRequestError
from tests.collector.conftest import prediction_logs, start_collector
from tests.collector.proxy import TcpProxy

pytestmark = pytest.mark.integration


def _count(url: str, where: str = "TRUE") -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(f"SELECT COUNT(*) FROM predictions WHERE {where}")).scalar_one()
    engine.dispose()
    return int(value)


def test_a_replayed_batch_is_stored_once(collector: httpx.Client, pg_clean: str) -> None:
    batch = {"predictions": prediction_logs(500)}
    first = collector.post("/v1/predictions", json=batch)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 500, "inserted": 500, "duplicates": 0}
    again = collector.post("/v1/predictions", json=batch)
    assert again.json() == {"received": 500, "inserted": 0, "duplicates": 500}
    overlapping = {"predictions": prediction_logs(100, start=450)}
    assert collector.post("/v1/predictions", json=overlapping).json()["inserted"] == 50
    assert _count(pg_clean) == 550


def test_stored_rows_keep_every_field_exactly(collector: httpx.Client, pg_clean: str) -> None:
    tricky = prediction_logs(1)[0] | {
        "entity_id": "tab\there\\back\nnew",
        "features": {"name": 'quote " back\\slash \t tab', "émoji": "🎮", "n": None},
        "prediction": "Medium",
        "source": "batch",
        "created_at": "2026-03-01T12:30:00+02:00",
    }
    assert collector.post("/v1/predictions", json={"predictions": [tricky]}).status_code == 200
    engine = create_engine(pg_clean)
    with Session(engine) as session:
        row = session.scalars(select(Prediction)).one()
    engine.dispose()
    assert row.entity_id == tricky["entity_id"]
    assert row.features == tricky["features"]
    assert row.probabilities == tricky["probabilities"]
    assert row.source == "batch"
    assert row.created_at.isoformat().startswith("2026-03-01T10:30:00")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"model_name": None}, "predictions[3].model_name: field required"),
        ({"row_index": "3"}, "predictions[3].row_index"),
        ({"features": [1, 2]}, "predictions[3].features"),
        ({"source": "weekly"}, "predictions[3].source"),
        ({"created_at": "yesterday"}, "predictions[3].created_at"),
        ({"request_id": "x" * 65}, "predictions[3].request_id: at most 64"),
        ({"probabilities": {"High": "a lot"}}, "predictions[3].probabilities"),
    ],
)
def test_a_bad_row_rejects_the_whole_batch_naming_row_and_field(
    collector: httpx.Client, pg_clean: str, change: dict[str, object], expected: str
) -> None:
    rows = prediction_logs(6)
    rows[3] = rows[3] | change
    response = collector.post("/v1/predictions", json={"predictions": rows})
    assert response.status_code == 422
    assert expected in response.json()["detail"]
    assert _count(pg_clean) == 0


def test_unparsable_or_unauthenticated_batches_are_refused(
    collector: httpx.Client, pg_clean: str
) -> None:
    broken = collector.post(
        "/v1/predictions",
        content=b'{"predictions": [',
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    empty = collector.post("/v1/predictions", json={"predictions": []})
    assert empty.status_code == 422 and "predictions" in empty.json()["detail"]
    anonymous = httpx.post(
        f"{collector.base_url}/v1/predictions", json={"predictions": prediction_logs(1)}
    )
    assert anonymous.status_code == 401
    assert _count(pg_clean) == 0


def test_database_outage_answers_503_with_retry_after_and_recovers(
    pg_url: str, pg_clean: str, tmp_path: Path
) -> None:
    real = make_url(pg_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432, free_port())
    proxy.start()
    proc = start_collector(real.set(port=proxy.port).render_as_string(False), tmp_path)
    try:
        with httpx.Client(
            base_url=proc.url, headers={"Authorization": "Bearer collector-test-token"}
        ) as client:
            before = client.post("/v1/predictions", json={"predictions": prediction_logs(10)})
            assert before.status_code == 200
            proxy.cut()
            spooled = {"predictions": prediction_logs(10, request_id="during-outage")}
            during = client.post("/v1/predictions", json=spooled)
            assert during.status_code == 503, during.text
            assert during.headers["Retry-After"] == "7"
            assert "database unavailable" in during.json()["detail"]
            assert client.get("/readyz").status_code == 503
            proxy.start()
            after = client.post("/v1/predictions", json=spooled)
            assert after.status_code == 200, after.text
            assert after.json()["inserted"] == 10
    finally:
        proc.stop()
        proxy.cut()
    assert _count(pg_clean) == 20


def test_sqlite_bulk_insert_is_idempotent_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one-machine.db'}"
    upgrade(url)
    engine = make_engine(url)
    writer = PredictionWriter(engine)
    rows = parse_prediction_batch(orjson.dumps({"predictions": prediction_logs(1200)}))
    assert writer.write(rows) == 1200
    assert writer.write(rows[:700]) == 0
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Prediction)) == 1200
    engine.dispose()


def _parsed(logs: list[dict[str, object]]) -> list[PredictionRow]:
    return parse_prediction_batch(orjson.dumps({"predictions": logs}))


def test_postgres_writer_survives_refused_batches_and_inner_duplicates(pg_clean: str) -> None:
    engine = make_engine(pg_clean, pool_size=1)
    writer = PredictionWriter(engine)
    bad = prediction_logs(3, request_id="nul")
    bad[2]["entity_id"] = "nul\x00byte"
    with pytest.raises(Exception) as refused:
        writer.write(_parsed(bad))
    translated = database_error(refused.value)
    assert isinstance(translated, BadRequestError)
    assert "rejected by the database" in translated.detail
    # The same pooled connection takes the merge path next (duplicate inside the batch).
    twice = prediction_logs(4, request_id="dup") + prediction_logs(2, request_id="dup")
    assert writer.write(_parsed(twice)) == 4
    assert writer.write(_parsed(prediction_logs(5, request_id="dup"))) == 1
    engine.dispose()
    assert _count(pg_clean) == 5


def test_sqlite_claims_work_for_the_one_machine_default(tmp_path: Path) -> None:
    from modelfleet.collector.evaluation import claims
    from modelfleet.common.wire import EVALUATION_FAILED

    url = f"sqlite:///{tmp_path / 'one-machine.db'}"
    upgrade(url)
    engine = make_engine(url)
    key = {
        "model": "m",
        "version": "1",
        "golden_name": "g",
        "golden_digest": "d",
        "target_url": "http://x",
    }
    first = claims.claim(engine, owner="a", stale_seconds=60, **key)
    assert isinstance(first, claims.Claim) and not first.taken_over
    assert isinstance(claims.claim(engine, owner="b", stale_seconds=60, **key), claims.Busy)
    claims.finish(engine, first.evaluation_id, "a", EVALUATION_FAILED, error="boom")
    retry = claims.claim(engine, owner="b", stale_seconds=60, **key)
    assert isinstance(retry, claims.Claim) and retry.taken_over and retry.attempts == 2
    engine.dispose()
