"""The Alembic migrations build the same schema and views on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from modelfleet.common.db.engine import make_engine, make_session_factory, session_scope
from modelfleet.common.db.migrate import current_revision, downgrade, upgrade
from modelfleet.common.db.models import Base, Label, Prediction

TABLES = {t.name for t in Base.metadata.sorted_tables}
VIEWS = {
    "v_evaluation_summary",
    "v_class_metrics",
    "v_online_accuracy",
    "v_traffic_daily",
    "v_labelled_predictions",
}


def _check_schema(url: str) -> None:
    engine = create_engine(url)
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) >= TABLES
    assert set(inspector.get_view_names()) >= VIEWS
    engine.dispose()


def _online_accuracy_counts_labels(url: str) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        for i, (pred, entity) in enumerate([("High", "p1"), ("Low", "p2"), ("Low", "p3")]):
            session.add(
                Prediction(
                    request_id="r1",
                    row_index=i,
                    entity_id=entity,
                    model_name="m",
                    model_version="1",
                    source="online",
                    features={"x": i},
                    prediction=pred,
                    created_at=now,
                )
            )
        session.add(Label(entity_id="p1", label="High", observed_at=now + timedelta(days=2)))
        session.add(Label(entity_id="p2", label="High", observed_at=now + timedelta(days=2)))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT predictions, labelled, correct, accuracy "
                "FROM v_online_accuracy WHERE model_name = 'm'"
            )
        ).one()
    assert tuple(row) == (3, 2, 1, 0.5)
    engine.dispose()


def test_sqlite_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    _check_schema(url)
    downgrade(url, "base")
    assert current_revision(url) is None
    upgrade(url)
    assert current_revision(url) == "0002"
    _online_accuracy_counts_labels(url)


@pytest.mark.integration
def test_postgres_schema_and_views(pg_clean: str) -> None:
    assert current_revision(pg_clean) == "0002"
    _check_schema(pg_clean)
    engine = create_engine(pg_clean)
    columns = {c["name"]: c for c in inspect(engine).get_columns("predictions")}
    assert columns["features"]["type"].__class__.__name__ == "JSONB"
    engine.dispose()
    _online_accuracy_counts_labels(pg_clean)
