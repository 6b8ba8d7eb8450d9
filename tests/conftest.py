"""Session fixtures shared by every test folder: real PostgreSQL and a real MLflow server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from modelfleet.cli.processes import ManagedProcess, start_mlflow_server
from modelfleet.common.db.engine import make_engine, make_session_factory
from modelfleet.common.db.migrate import upgrade
from modelfleet.common.db.models import Evaluation, EvaluationMetric

ROOT = Path(__file__).resolve().parent.parent
DATASETS_DIR = Path(os.environ.get("MODELFLEET_DATASETS_DIR", ROOT.parent / "shared" / "datasets"))
DEFAULT_PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not (DATASETS_DIR / "online_gaming_behavior.csv").exists():
        pytest.fail(f"shared datasets not found in {DATASETS_DIR} (set MODELFLEET_DATASETS_DIR)")
    return DATASETS_DIR


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, migrated to head with Alembic."""
    admin_url = make_url(os.environ.get("MODELFLEET_TEST_DATABASE_URL", DEFAULT_PG))
    name = f"modelfleet_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unavailable on CI: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_clean(pg_url: str) -> Iterator[str]:
    """The session database with every data table emptied before the test."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE predictions, labels, evaluation_metrics, evaluations, retrain_requests, "
                "drift_reports, training_jobs, datasets RESTART IDENTITY CASCADE"
            )
        )
    engine.dispose()
    yield pg_url


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    """A real ``mlflow server`` (SQLite backend, served artifacts) on a free port."""
    proc = start_mlflow_server(tmp_path_factory.mktemp("mlflow"), timeout=120)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def mlflow_uri(mlflow_server: ManagedProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tracking URI, also exported so MLflow's fluent API in this process uses it."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    return mlflow_server.url


@pytest.fixture(scope="session")
def gaming_training_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic gaming file (3,000 rows) that trains in a couple of seconds."""
    from modelfleet.cli.synthetic import GamingGenerator

    path = tmp_path_factory.mktemp("data") / "gaming_small.csv"
    GamingGenerator(seed=11).generate(3000).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def registered_model(mlflow_server: ManagedProcess, gaming_training_csv: Path) -> dict[str, str]:
    """Version 1 of registered model ``engagement-test`` (hgb on synthetic gaming data)."""
    return train_version(
        mlflow_server, gaming_training_csv, "engagement-test", "hgb", {"max_iter": 50}
    )


def train_version(
    mlflow_server: ManagedProcess, csv: Path, name: str, model_type: str, params: dict[str, Any]
) -> dict[str, str]:
    """Train and register one version of ``name`` on the gaming file ``csv``."""
    from modelfleet.trainer.training import TrainRequest, train_and_register

    request = TrainRequest(
        data=str(csv),
        target="EngagementLevel",
        model_type=model_type,
        params=params,
        model_name=name,
    )
    result = train_and_register(request, tracking_uri=mlflow_server.url, data_path=csv)
    return {
        "name": result.model_name,
        "version": result.version,
        "run_id": result.run_id,
        "tracking_uri": mlflow_server.url,
    }


AddEvaluation = Callable[..., int]


@pytest.fixture
def pg_sessions(pg_clean: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on the emptied test database."""
    engine = make_engine(pg_clean)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def add_evaluation(pg_sessions: sessionmaker[Session]) -> AddEvaluation:
    """Insert an evaluation with the given per-class values; returns its id."""

    def _add(
        version: str,
        per_class: dict[str, dict[str, float]],
        *,
        model: str = "m",
        digest: str = "d1",
        golden: str = "golden",
        status: str = "done",
        overall: dict[str, float] | None = None,
    ) -> int:
        with pg_sessions() as session:
            evaluation = Evaluation(
                model_name=model,
                model_version=version,
                golden_name=golden,
                golden_digest=digest,
                status=status,
                finished_at=datetime.now(UTC),
            )
            session.add(evaluation)
            session.flush()
            for name, value in (overall or {}).items():
                session.add(EvaluationMetric(evaluation_id=evaluation.id, metric=name, value=value))
            for label, metrics in per_class.items():
                for name, value in metrics.items():
                    session.add(
                        EvaluationMetric(
                            evaluation_id=evaluation.id,
                            metric=name,
                            class_label=label,
                            value=value,
                        )
                    )
            session.commit()
            return evaluation.id

    return _add
