"""The run pipeline called in-process (as the CronJob command does), on PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert
from typer.testing import CliRunner

from modelfleet.cli.main import app
from modelfleet.cli.processes import free_port
from modelfleet.cli.synthetic import KEY_COLUMNS, DriftSpec
from modelfleet.common.db.migrate import upgrade
from modelfleet.common.db.models import Prediction
from modelfleet.drift_monitor.config import DriftSettings
from modelfleet.drift_monitor.window import WindowSpec
from modelfleet.drift_monitor.wiring import build_monitor
from tests.drift_monitor.conftest import TrafficWriter

pytestmark = pytest.mark.integration


def settings(url: str, tracking_uri: str, state: Path, **overrides: object) -> DriftSettings:
    return DriftSettings(
        database_url=url,
        mlflow_tracking_uri=tracking_uri,
        state_dir=state,
        min_rows=300,
        trainer_url=f"http://127.0.0.1:{free_port()}",
        trainer_retries=0,
        **overrides,  # type: ignore[arg-type]
    )


def test_key_column_rule_alone_decides(
    write_traffic: TrafficWriter, registered_model: dict[str, str], pg_clean: str, tmp_path: Path
) -> None:
    """Share and prediction rules switched off: the key columns alone make the decision."""
    write_traffic(1000, seed=7, drift=DriftSpec.key_columns())
    name, version = registered_model["name"], registered_model["version"]
    quiet_rules = {"drift_share_threshold": 0.95, "retrain_on_prediction_drift": False}
    uri = registered_model["tracking_uri"]

    with_keys = build_monitor(settings(pg_clean, uri, tmp_path / "a", **quiet_rules))
    without_keys = build_monitor(
        settings(pg_clean, uri, tmp_path / "b", key_columns=["Age"], **quiet_rules)
    )
    keyed = with_keys.run(name, version, WindowSpec(last=5000))
    unkeyed = without_keys.run(name, version, WindowSpec(last=5000))

    assert keyed.status == unkeyed.status == "done"
    assert keyed.drift_share is not None and keyed.drift_share < 0.95
    assert keyed.decision == "retrain"
    assert keyed.reason == "key column(s) drifted: " + ", ".join(KEY_COLUMNS)
    assert unkeyed.decision == "no_retrain"


def test_sqlite_one_machine_default(
    write_traffic: TrafficWriter, registered_model: dict[str, str], pg_clean: str, tmp_path: Path
) -> None:
    """The same traffic copied into a SQLite database gives the same verdicts as PostgreSQL."""
    write_traffic(600, seed=9, drift=DriftSpec.key_columns())
    sqlite_url = f"sqlite:///{tmp_path / 'modelfleet.db'}"
    upgrade(sqlite_url)
    source, target = create_engine(pg_clean), create_engine(sqlite_url)
    with source.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(Prediction.__table__.select())]
    with target.begin() as conn:
        conn.execute(insert(Prediction), [{k: v for k, v in r.items() if k != "id"} for r in rows])
    name, version = registered_model["name"], registered_model["version"]
    uri = registered_model["tracking_uri"]

    on_sqlite = build_monitor(settings(sqlite_url, uri, tmp_path / "s")).run(name, version)
    on_postgres = build_monitor(settings(pg_clean, uri, tmp_path / "p")).run(name, version)

    assert on_sqlite.status == "done", on_sqlite.reason
    assert on_sqlite.current_rows == on_postgres.current_rows == 600
    sqlite_scores, pg_scores = on_sqlite.column_scores or {}, on_postgres.column_scores or {}
    assert {c: s["drifted"] for c, s in sqlite_scores.items()} == {
        c: s["drifted"] for c, s in pg_scores.items()
    }
    assert {c: s["score"] for c, s in sqlite_scores.items()} == pytest.approx(
        {c: s["score"] for c, s in pg_scores.items()}
    )
    assert on_sqlite.decision == on_postgres.decision == "retrain"


def test_sampling_is_recorded(
    write_traffic: TrafficWriter, registered_model: dict[str, str], pg_clean: str, tmp_path: Path
) -> None:
    write_traffic(1200, seed=10)
    uri = registered_model["tracking_uri"]
    monitor = build_monitor(settings(pg_clean, uri, tmp_path, max_current_rows=400))

    run = monitor.run(registered_model["name"], registered_model["version"])

    assert run.status == "done"
    assert run.sampled is True
    assert 300 <= run.current_rows <= 400


def test_cli_run_list_show(
    write_traffic: TrafficWriter,
    registered_model: dict[str, str],
    pg_clean: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_traffic(700, seed=12, drift=DriftSpec.key_columns())
    for key, value in {
        "MODELFLEET_DATABASE_URL": pg_clean,
        "MLFLOW_TRACKING_URI": registered_model["tracking_uri"],
        "MODELFLEET_STATE_DIR": str(tmp_path),
        "MODELFLEET_MIN_ROWS": "300",
        "MODELFLEET_TRAINER_URL": f"http://127.0.0.1:{free_port()}",
        "MODELFLEET_TRAINER_RETRIES": "0",
    }.items():
        monkeypatch.setenv(key, value)
    # No truncated table cells. The width comes from the environment rather than being set on
    # the shared console, which would pin every later test's console at the width it had here.
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    name, version = registered_model["name"], registered_model["version"]

    ran = runner.invoke(
        app, ["drift", "run", "--model", name, "--version", version, "--last", "700"]
    )
    listed = runner.invoke(app, ["drift", "list", "--model", name])
    shown = runner.invoke(app, ["drift", "show", "1"])
    unknown = runner.invoke(app, ["drift", "show", "999"])

    assert ran.exit_code == 0, ran.output
    assert "key column(s) drifted" in _words(ran.output)
    assert listed.exit_code == 0 and name in listed.output and "retrain" in listed.output
    assert shown.exit_code == 0, shown.output
    assert "SessionsPerWeek" in shown.output, shown.output
    assert "no_labels" in shown.output, shown.output  # the traffic has no labels yet
    assert unknown.exit_code == 1 and "does not exist" in _words(unknown.output)


def _words(output: str) -> str:
    """Rich wraps lines at the terminal width; compare text with whitespace collapsed."""
    return " ".join(output.split())
