"""The evaluation job against real model-server processes, real MLflow and real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from modelfleet.cli.main import app as cli
from modelfleet.cli.processes import ManagedProcess, free_port
from modelfleet.collector.config import CollectorSettings
from modelfleet.collector.evaluation import claims
from modelfleet.collector.evaluation.golden import resolve_golden
from modelfleet.collector.evaluation.runner import EvaluationRunner, Reporter
from modelfleet.collector.evaluation.targets import Target
from modelfleet.common.db.engine import make_engine
from tests.collector.conftest import start_model_server

pytestmark = pytest.mark.integration
TARGET = "EngagementLevel"


def _rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql), params)]
    engine.dispose()
    return rows


def _stored_accuracy(url: str, evaluation_id: int, golden: pd.DataFrame) -> float:
    """Accuracy recomputed by the test from the stored predictions and the golden labels."""
    stored = _rows(
        url,
        "SELECT row_index, prediction FROM predictions WHERE evaluation_id = :e",
        e=evaluation_id,
    )
    truth = golden[TARGET].astype(str)
    return sum(truth.iloc[int(i)] == p for i, p in stored) / len(stored)  # type: ignore[call-overload]


def test_a_version_is_evaluated_once_per_golden_set(
    collector: httpx.Client, model_server_v1: ManagedProcess, golden_csv: Path, pg_clean: str
) -> None:
    body = {"golden": str(golden_csv), "targets": [model_server_v1.url]}
    response = collector.post("/v1/evaluations", json=body)
    assert response.status_code == 200, response.text
    [outcome] = response.json()["outcomes"]
    assert outcome["status"] == "done", outcome
    golden = pd.read_csv(golden_csv)
    assert outcome["rows_scored"] == len(golden) and outcome["rows_skipped"] == 0

    evaluation = collector.get(f"/v1/evaluations/{outcome['evaluation_id']}").json()
    assert evaluation["status"] == "done" and evaluation["golden_name"] == "gaming_golden"
    overall, per_class = evaluation["metrics"]["overall"], evaluation["metrics"]["per_class"]
    expected = _stored_accuracy(pg_clean, outcome["evaluation_id"], golden)
    assert overall["accuracy"] == pytest.approx(expected)
    assert set(per_class) == {"High", "Low", "Medium"}
    counts = golden[TARGET].value_counts()
    assert {c: int(m["support"]) for c, m in per_class.items()} == counts.to_dict()
    for metrics in per_class.values():
        assert metrics["true_positives"] + metrics["false_negatives"] == metrics["support"]
    assert _rows(
        pg_clean,
        "SELECT COUNT(*), COUNT(DISTINCT row_index) FROM predictions WHERE source = 'evaluation'",
    ) == [(len(golden), len(golden))]
    [(name, digest)] = _rows(pg_clean, "SELECT name, digest FROM datasets")
    assert name == "gaming_golden" and digest == evaluation["golden_digest"]

    again = collector.post("/v1/evaluations", json=body).json()["outcomes"][0]
    assert again["status"] == "skipped" and "already evaluated" in again["reason"]
    assert _rows(pg_clean, "SELECT COUNT(*) FROM predictions") == [(len(golden),)]
    by_name = collector.post(
        "/v1/evaluations", json={"golden": "gaming_golden", "targets": [model_server_v1.url]}
    ).json()["outcomes"][0]
    assert by_name["status"] == "skipped"  # the catalog name resolves to the same digest


@pytest.fixture(scope="session")
def subset_version(
    registered_model: dict[str, str],
    gaming_training_csv: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, ManagedProcess]]:
    """A new version of the model trained only on the High and Low rows, and its server."""
    from modelfleet.trainer.training import TrainRequest, train_and_register

    data = tmp_path_factory.mktemp("subset") / "gaming_high_low.csv"
    frame = pd.read_csv(gaming_training_csv)
    frame[frame[TARGET].isin(["High", "Low"])].to_csv(data, index=False)
    request = TrainRequest(
        data=str(data),
        target=TARGET,
        model_type="hgb",
        params={"max_iter": 30},
        model_name=registered_model["name"],
    )
    result = train_and_register(
        request, tracking_uri=registered_model["tracking_uri"], data_path=data
    )
    proc = start_model_server(
        registered_model["tracking_uri"], result.model_name, result.version, data.parent
    )
    yield result.version, proc
    proc.stop()


def test_a_class_subset_model_is_judged_on_its_classes_and_compared(
    pg_clean: str,
    model_server_v1: ManagedProcess,
    subset_version: tuple[str, ManagedProcess],
    golden_csv: Path,
    registered_model: dict[str, str],
) -> None:
    version, server = subset_version
    env = {"MODELFLEET_DATABASE_URL": pg_clean, "COLUMNS": "220"}
    runner = CliRunner()
    result = runner.invoke(
        cli, ["collect", "--golden", str(golden_csv), model_server_v1.url, server.url], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("done") >= 2

    golden = pd.read_csv(golden_csv)
    medium = int((golden[TARGET] == "Medium").sum())
    [(evaluation_id, scored, skipped, reason)] = _rows(
        pg_clean,
        "SELECT id, rows_scored, rows_skipped, skipped_reason FROM evaluations "
        "WHERE model_version = :v",
        v=version,
    )
    assert (scored, skipped) == (len(golden) - medium, medium)
    left_out = reason["class_not_known_to_model"]  # type: ignore[index]
    assert left_out["rows_by_class"] == {"Medium": medium}
    assert sorted(left_out["row_indices"]) == golden.index[golden[TARGET] == "Medium"].tolist()
    classes = _rows(
        pg_clean,
        "SELECT DISTINCT class_label FROM v_class_metrics WHERE evaluation_id = :e",
        e=evaluation_id,
    )
    assert sorted(str(c) for (c,) in classes) == ["High", "Low"]

    compare = runner.invoke(
        cli,
        ["evaluations", "compare", "-m", registered_model["name"], "-b", "1", "-c", version],
        env=env,
    )
    assert compare.exit_code == 1, compare.output  # Medium is a class v1 knew and it does not
    assert "Medium" in compare.output and "absent" in compare.output


class _KillAfter(Reporter):
    """Kills the model-server once ``rows`` rows are stored: a crash mid-evaluation."""

    def __init__(self, server: ManagedProcess, rows: int) -> None:
        self.server, self.rows = server, rows

    def advanced(self, target: Target, scored: int) -> None:
        if scored >= self.rows and self.server.process.poll() is None:
            self.server.kill()


def test_a_killed_server_fails_the_evaluation_and_the_next_run_resumes_it(
    collector: httpx.Client,
    pg_clean: str,
    registered_model: dict[str, str],
    model_server_v1: ManagedProcess,
    golden_csv: Path,
    tmp_path: Path,
) -> None:
    doomed = start_model_server(
        registered_model["tracking_uri"], registered_model["name"], "1", tmp_path
    )
    settings = CollectorSettings(
        database_url=pg_clean,
        evaluation_batch_size=250,
        evaluation_retries=2,
        evaluation_backoff=0.1,
        _env_file=None,
    )
    engine = make_engine(pg_clean)
    try:
        golden = resolve_golden(engine, str(golden_csv))
        [first] = EvaluationRunner(engine, settings).run(
            [Target(doomed.url)], golden, _KillAfter(doomed, 750)
        )
    finally:
        engine.dispose()
    assert first.status == "failed"
    assert "/v1/predict failed" in (first.reason or "")
    [(status, error, stored)] = _rows(
        pg_clean,
        "SELECT status, error, (SELECT COUNT(*) FROM predictions) FROM evaluations",
    )
    assert status == "failed" and "/v1/predict failed" in str(error)
    assert stored == 750

    # The next run (the pod came back elsewhere) resumes: only missing rows are requested.
    body = {"golden": str(golden_csv), "targets": [model_server_v1.url]}
    [second] = collector.post("/v1/evaluations", json=body).json()["outcomes"]
    assert second["status"] == "done", second
    assert second["evaluation_id"] == first.evaluation_id
    n = len(pd.read_csv(golden_csv))
    resumed_batch = CollectorSettings.model_fields["evaluation_batch_size"].default
    requests = 750 // 250 + -(-(n - 750) // resumed_batch)  # 3 before the kill, the rest after
    assert _rows(
        pg_clean,
        "SELECT COUNT(*), COUNT(DISTINCT row_index), COUNT(DISTINCT request_id) FROM predictions",
    ) == [(n, n, requests)]
    [(attempts,)] = _rows(pg_clean, "SELECT attempts FROM evaluations")
    assert attempts == 2


def test_two_collectors_started_together_evaluate_a_version_once(
    pg_clean: str, model_server_v1: ManagedProcess, golden_csv: Path, tmp_path: Path
) -> None:
    env = {
        "PATH": str(Path(sys.executable).parent),
        "MODELFLEET_DATABASE_URL": pg_clean,
        "MODELFLEET_EVALUATION_BATCH_SIZE": "300",
        "MODELFLEET_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "modelfleet.collector",
        "evaluate",
        "--golden",
        str(golden_csv),
        model_server_v1.url,
    ]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    statuses = sorted(orjson.loads(out.splitlines()[-1])["status"] for out, _ in outputs)
    assert statuses == ["done", "skipped"]
    n = len(pd.read_csv(golden_csv))
    assert _rows(pg_clean, "SELECT COUNT(*), MAX(attempts) FROM evaluations") == [(1, 1)]
    assert _rows(pg_clean, "SELECT COUNT(*) FROM predictions") == [(n,)]


def test_claims_are_exclusive_and_stale_ones_are_taken_over(pg_clean: str) -> None:
    engine = make_engine(pg_clean, pool_size=8)
    barrier = threading.Barrier(8)
    results: list[claims.Claim | claims.Busy] = []

    def contend(owner: str) -> None:
        barrier.wait()
        results.append(
            claims.claim(
                engine,
                model="m",
                version="1",
                golden_name="g",
                golden_digest="d",
                target_url="http://x",
                owner=owner,
                stale_seconds=60,
            )
        )

    threads = [threading.Thread(target=contend, args=(f"c{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, claims.Claim) for r in results) == 1
    evaluation_id = next(r.evaluation_id for r in results if isinstance(r, claims.Claim))

    def again(owner: str, stale: float) -> claims.Claim | claims.Busy:
        return claims.claim(
            engine,
            model="m",
            version="1",
            golden_name="g",
            golden_digest="d",
            target_url="http://x",
            owner=owner,
            stale_seconds=stale,
        )

    assert isinstance(again("late", 60), claims.Busy)  # heartbeat is fresh
    taken = again("rescuer", 0)  # the holder crashed: its heartbeat is older than 0 s
    assert isinstance(taken, claims.Claim) and taken.taken_over
    assert taken.evaluation_id == evaluation_id
    with pytest.raises(claims.ClaimLostError):
        claims.heartbeat(engine, evaluation_id, "c-previous-holder")
    engine.dispose()


def test_an_unreachable_server_does_not_stop_the_others(
    pg_clean: str, model_server_v1: ManagedProcess, golden_csv: Path
) -> None:
    settings = CollectorSettings(
        database_url=pg_clean, evaluation_retries=1, evaluation_backoff=0.05, _env_file=None
    )
    engine = make_engine(pg_clean)
    try:
        golden = resolve_golden(engine, str(golden_csv))
        dead = f"http://127.0.0.1:{free_port()}"
        outcomes = EvaluationRunner(engine, settings).run(
            [Target(dead), Target(model_server_v1.url)], golden
        )
    finally:
        engine.dispose()
    assert [o.status for o in outcomes] == ["unreachable", "done"]
    assert dead in (outcomes[0].reason or "")
