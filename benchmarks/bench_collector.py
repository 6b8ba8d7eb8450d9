"""Prediction ingest through the collector against a raw COPY, side by side in one run.

    uv run python benchmarks/bench_collector.py [--rows 1000000] [--batch 1000] [--senders 4]
                                                [--skip-evaluation]

1. Ingest: builds ``--rows`` prediction logs (JSONB features like the gaming model's) as
   ``POST /v1/predictions`` bodies of ``--batch`` rows, then in a throwaway PostgreSQL database
   measures, each phase on an empty table:
   (a) raw ``COPY`` of the same rows straight into ``predictions`` from as many connections
       (the physical limit),
   (b) the collector's write path in-process (COPY into a temp table + INSERT … ON CONFLICT),
   (c) the whole HTTP path: ``python -m modelfleet.collector`` fed by ``--senders`` concurrent
       connections,
   and the CPU time of parsing (orjson + validation) and of building the COPY text, so the gap
   between (c) and (a) can be attributed. Prints rows/s and ratios.
2. Evaluation: trains the gaming model on the real 40,034-row file into a private ``mlflow
   server``, serves it with ``python -m modelfleet.model_server`` and times the evaluation job on
   that file as the golden set, end to end (resolve golden, score in batches, store every
   prediction, metrics).

Only 127.0.0.1 is used; the database is dropped at the end. Results go to
``benchmarks/results/collector.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from modelfleet.cli.processes import (
    ManagedProcess,
    free_port,
    start_mlflow_server,
    start_process,
    wait_until_ready,
)
from modelfleet.collector.ingest.parsing import parse_prediction_batch
from modelfleet.collector.ingest.store import COLUMNS, PredictionWriter, copy_payload
from modelfleet.common.db.engine import make_engine
from modelfleet.common.db.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = Path(os.environ.get("MODELFLEET_DATASETS_DIR", ROOT.parent / "shared" / "datasets"))
ADMIN_URL = os.environ.get(
    "MODELFLEET_TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
TOKEN = "bench-token"
GENRES = ("Action", "RPG", "Simulation", "Sports", "Strategy")
LOCATIONS = ("USA", "Europe", "Asia", "Other")
CLASSES = ("High", "Medium", "Low")


@contextmanager
def throwaway_database() -> Iterator[str]:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"modelfleet_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_bodies(rows: int, batch: int) -> list[bytes]:
    """Request bodies as a model-server ships them: one request id per batch."""
    now = datetime.now(UTC).isoformat()
    bodies = []
    for b in range(rows // batch):
        request_id = f"bench-{b:07d}"
        logs = []
        for i in range(batch):
            n = b * batch + i
            logs.append(
                {
                    "request_id": request_id,
                    "row_index": i,
                    "entity_id": str(9000 + n % 40000),
                    "model_name": "gaming",
                    "model_version": "3",
                    "source": "online",
                    "features": {
                        "Age": 15 + n % 35,
                        "Gender": "Male" if n % 2 else "Female",
                        "Location": LOCATIONS[n % 4],
                        "GameGenre": GENRES[n % 5],
                        "PlayTimeHours": (n % 2400) / 100,
                        "InGamePurchases": n % 2,
                        "GameDifficulty": "Medium",
                        "SessionsPerWeek": n % 20,
                        "AvgSessionDurationMinutes": 10 + n % 170,
                        "PlayerLevel": 1 + n % 99,
                        "AchievementsUnlocked": n % 50,
                    },
                    "prediction": CLASSES[n % 3],
                    "probabilities": {"High": 0.2, "Medium": 0.5, "Low": 0.3},
                    "latency_ms": 1.25,
                    "created_at": now,
                }
            )
        bodies.append(orjson.dumps({"predictions": logs}))
    return bodies


def truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE predictions RESTART IDENTITY"))
        conn.execute(text("CHECKPOINT"))
    engine.dispose()


def count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text("SELECT COUNT(*) FROM predictions")).scalar_one())
    engine.dispose()
    return value


def raw_copy(url: str, payloads: list[bytes], senders: int) -> float:
    """COPY straight into ``predictions`` from ``senders`` connections, 10 batches per COPY:
    the physical limit at the same concurrency as the collector gets."""
    engine = make_engine(url, pool_size=senders)
    statement = f"COPY predictions ({', '.join(COLUMNS)}) FROM STDIN"
    chunks: queue.Queue[bytes] = queue.Queue()
    for start in range(0, len(payloads), 10):
        chunks.put(b"".join(payloads[start : start + 10]))

    def run() -> None:
        connection = engine.raw_connection()
        cursor = connection.cursor()
        while True:
            try:
                chunk = chunks.get_nowait()
            except queue.Empty:
                break
            cursor.copy_expert(statement, io.BytesIO(chunk))
            connection.commit()
        connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    engine.dispose()
    return seconds


def writer_path(url: str, bodies: list[bytes], senders: int, *, optimistic: bool) -> float:
    """The collector's parse + write path, in-process, ``senders`` threads (no HTTP)."""
    engine = make_engine(url, pool_size=senders)
    writer = PredictionWriter(engine, optimistic=optimistic)
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)

    def run() -> None:
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            writer.write(parse_prediction_batch(body))

    began = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    engine.dispose()
    return seconds


def http_path(collector: ManagedProcess, bodies: list[bytes], senders: int) -> float:
    """``POST /v1/predictions`` from ``senders`` concurrent keep-alive connections."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    errors: list[str] = []

    def run() -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        with httpx.Client(base_url=collector.url, headers=headers, timeout=120) as client:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                response = client.post("/v1/predictions", content=body)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")

    began = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    return seconds


def bench_ingest(rows: int, batch: int, senders: int, workdir: Path) -> dict[str, Any]:
    print(f"building {rows:,} prediction logs in batches of {batch:,} …", flush=True)
    bodies = make_bodies(rows, batch)
    # CPU time, not wall time: the machine is shared and wall time would count waiting.
    began = time.process_time()
    parsed = [parse_prediction_batch(body) for body in bodies]
    parse_s = time.process_time() - began
    began = time.process_time()
    payloads = [copy_payload(batch_rows) for batch_rows in parsed]
    serialize_s = time.process_time() - began
    del parsed
    results: dict[str, Any] = {
        "rows": rows,
        "batch": batch,
        "senders": senders,
        "body_mb": round(sum(map(len, bodies)) / 1e6, 1),
        "parse_cpu_s": round(parse_s, 2),
        "copy_text_cpu_s": round(serialize_s, 2),
    }
    with throwaway_database() as url:
        print("raw COPY …", flush=True)
        truncate(url)
        results["raw_copy_s"] = raw_copy(url, payloads, senders)
        assert count(url) == rows
        print("collector write path in-process, temp table + INSERT … ON CONFLICT …", flush=True)
        truncate(url)
        results["merge_s"] = writer_path(url, bodies, senders, optimistic=False)
        assert count(url) == rows
        print("collector write path in-process, direct COPY in a savepoint …", flush=True)
        truncate(url)
        results["writer_s"] = writer_path(url, bodies, senders, optimistic=True)
        assert count(url) == rows
        print("HTTP POST /v1/predictions …", flush=True)
        truncate(url)
        port = free_port()
        collector = start_process(
            "collector",
            [str(BIN / "python"), "-m", "modelfleet.collector"],
            url=f"http://127.0.0.1:{port}",
            log_path=workdir / "collector.log",
            env={
                "MODELFLEET_DATABASE_URL": url,
                "MODELFLEET_PORT": str(port),
                "MODELFLEET_API_TOKEN": TOKEN,
                "MODELFLEET_LOG_LEVEL": "WARNING",
            },
        )
        try:
            wait_until_ready(collector, "/readyz", timeout=120)
            results["http_s"] = http_path(collector, bodies, senders)
            assert count(url) == rows
            print("HTTP replay of the first 10% (idempotent: nothing stored) …", flush=True)
            replay = bodies[: max(1, len(bodies) // 10)]
            results["replay_s"] = http_path(collector, replay, senders)
            results["replay_rows"] = len(replay) * batch
            assert count(url) == rows
        finally:
            collector.stop()
    for key in ("raw_copy", "merge", "writer", "http"):
        results[f"{key}_rows_per_s"] = round(rows / results[f"{key}_s"])
    results["http_vs_copy"] = round(results["http_s"] / results["raw_copy_s"], 2)
    results["writer_vs_copy"] = round(results["writer_s"] / results["raw_copy_s"], 2)
    return results


def bench_evaluation(workdir: Path) -> dict[str, Any]:
    """Train on the real gaming file, serve it, evaluate on it as the golden set."""
    from modelfleet.collector.config import CollectorSettings
    from modelfleet.collector.evaluation.job import run_evaluations
    from modelfleet.trainer.training import TrainRequest, train_and_register

    golden = DATA / "online_gaming_behavior.csv"
    mlflow = start_mlflow_server(workdir)
    server = None
    try:
        print("training the gaming model on the 40,034-row file …", flush=True)
        request = TrainRequest(
            data=str(golden), target="EngagementLevel", model_type="hgb", model_name="gaming-bench"
        )
        result = train_and_register(request, tracking_uri=mlflow.url, data_path=golden)
        server_port = free_port()
        server = start_process(
            "model-server",
            [str(BIN / "python"), "-m", "modelfleet.model_server"],
            url=f"http://127.0.0.1:{server_port}",
            log_path=workdir / "model-server.log",
            env={
                "MLFLOW_TRACKING_URI": mlflow.url,
                "MODELFLEET_MODEL_NAME": result.model_name,
                "MODELFLEET_MODEL_VERSION": result.version,
                "MODELFLEET_PORT": str(server_port),
                "MODELFLEET_LOG_LEVEL": "WARNING",
                "MODELFLEET_GRPC_PORT": "0",
            },
        )
        wait_until_ready(server, "/readyz", timeout=300)
        with throwaway_database() as url:
            engine = make_engine(url)
            settings = CollectorSettings(database_url=url, _env_file=None)
            began = time.perf_counter()
            [outcome] = run_evaluations(engine, settings, golden=str(golden), urls=[server.url])
            seconds = time.perf_counter() - began
            engine.dispose()
        if outcome.status != "done":
            raise RuntimeError(f"evaluation {outcome.status}: {outcome.reason}")
        return {
            "golden_rows": outcome.rows_scored,
            "evaluation_s": round(seconds, 2),
            "accuracy": round(outcome.accuracy or 0.0, 4),
            "batch": settings.evaluation_batch_size,
        }
    finally:
        if server is not None:
            server.stop()
        mlflow.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--skip-evaluation", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-collector-") as tmp:
        workdir = Path(tmp)
        ingest = bench_ingest(args.rows, args.batch, args.senders, workdir)
        evaluation = None if args.skip_evaluation else bench_evaluation(workdir)
    rows = ingest["rows"]
    print()
    print(
        f"ingest of {rows:,} prediction logs, batches of {ingest['batch']:,}, "
        f"{ingest['senders']} senders ({ingest['body_mb']} MB of JSON)"
    )
    print(f"{'path':<46}{'seconds':>9}{'rows/s':>10}{'vs COPY':>8}")
    table = [
        ("raw COPY into predictions (physical limit)", "raw_copy"),
        ("parse + temp table + INSERT ON CONFLICT", "merge"),
        ("parse + COPY in savepoint (collector path)", "writer"),
        ("POST /v1/predictions over HTTP", "http"),
    ]
    for label, key in table:
        seconds = ingest[f"{key}_s"]
        ratio = seconds / ingest["raw_copy_s"]
        print(f"{label:<46}{seconds:>9.1f}{ingest[f'{key}_rows_per_s']:>10,}{ratio:>8.2f}")
    print(f"{'  of which: parsing (orjson + validation), CPU':<46}{ingest['parse_cpu_s']:>9.1f}")
    print(f"{'  of which: building COPY text, CPU':<46}{ingest['copy_text_cpu_s']:>9.1f}")
    replay_rate = ingest["replay_rows"] / ingest["replay_s"]
    print(
        f"{'replay of stored batches (0 new rows)':<46}{ingest['replay_s']:>9.1f}"
        f"{round(replay_rate):>10,}"
    )
    if evaluation:
        print()
        print(
            f"evaluation of one version on the real gaming golden set "
            f"({evaluation['golden_rows']:,} rows, batches of {evaluation['batch']:,}): "
            f"{evaluation['evaluation_s']} s end to end (accuracy {evaluation['accuracy']})"
        )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "collector.json").write_text(
        json.dumps({"ingest": ingest, "evaluation": evaluation}, indent=2)
    )


if __name__ == "__main__":
    main()
