"""Drift on 1,000,000 logged predictions against a 40,000-row reference, side by side.

    uv run python benchmarks/bench_drift.py [--rows 1000000] [--reference-rows 40000]

Loads the predictions into a throwaway PostgreSQL database with COPY, then measures, each in a
fresh process so peak memory is its own:

* **service**: one full drift run through the monitor's code (``DriftMonitor.run``): count, COPY
  TO STDOUT stream into pandas, Evidently report, HTML file, Evidently workspace snapshot and the
  ``drift_reports`` row. No sampling. The reference comes from memory instead of MLflow (a
  version's reference is downloaded once and cached on disk, so it is not part of a run's cost).
* **evidently alone**: the same Evidently report on the same two frames, already in memory
  (``Report.run`` only).

Targets (issue 5): service < 60 s, < 3 GB peak RSS, service / Evidently <= 1.5x.
Admin connection: ``MODELFLEET_BENCH_DATABASE_URL`` (default local ``postgres``).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from modelfleet.cli.synthetic import ID_COLUMN, TARGET, DriftSpec, GamingGenerator
from modelfleet.common.db.migrate import upgrade
from modelfleet.drift_monitor.reference import PREDICTION_COLUMN, Reference

MODEL, VERSION = "bench-engagement", "1"
DEFAULT_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def make_reference(rows: int) -> Reference:
    frame = GamingGenerator(seed=1).generate(rows).drop(columns=[ID_COLUMN])
    frame[PREDICTION_COLUMN] = frame[TARGET].astype(str)
    features = [c for c in frame.columns if c not in (TARGET, PREDICTION_COLUMN)]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(frame[c])]
    return Reference(
        model_name=MODEL,
        model_version=VERSION,
        run_id="bench",
        frame=frame,
        target=TARGET,
        model_type="hgb",
        numeric_columns=numeric,
        categorical_columns=[c for c in features if c not in numeric],
    )


def load_predictions(url: str, rows: int) -> float:
    """COPY ``rows`` online predictions (a third of them drifted) into ``predictions``."""
    generator = GamingGenerator(seed=2)
    quiet = generator.generate(rows - rows // 3)
    drifted = generator.generate(rows // 3, drift=DriftSpec.key_columns(), day=1)
    frame = pd.concat([quiet, drifted], ignore_index=True)
    started = time.perf_counter()
    features = frame.drop(columns=[ID_COLUMN, TARGET])
    json_features = _json_lines(features)
    created = datetime.now(UTC) - timedelta(minutes=10)
    request = uuid.uuid4().hex
    table = pd.DataFrame(
        {
            "request_id": request[:16] + pd.Series(np.arange(rows) // 1000).astype(str),
            "row_index": np.arange(rows) % 1000,
            "entity_id": frame[ID_COLUMN].astype(str),
            "model_name": MODEL,
            "model_version": VERSION,
            "source": "online",
            "features": json_features,
            "prediction": frame[TARGET],
            "created_at": created.isoformat(),
        }
    )
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.copy_expert(
            f"COPY predictions ({', '.join(table.columns)}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        raw.commit()
        cursor.execute("ANALYZE predictions")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return time.perf_counter() - started


def _json_lines(features: pd.DataFrame) -> pd.Series:
    """One JSON object per row, built column-wise (fast for a million rows)."""
    parts = []
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_numeric_dtype(values):
            rendered = values.astype(str)
        else:
            rendered = '"' + values.astype(str) + '"'
        parts.append(f'"{column}": ' + rendered)
    out = parts[0]
    for part in parts[1:]:
        out = out + ", " + part
    return "{" + out + "}"


def child_service(url: str, workdir: Path, reference_path: Path) -> dict[str, Any]:
    from modelfleet.drift_monitor.config import DriftSettings
    from modelfleet.drift_monitor.window import WindowSpec
    from modelfleet.drift_monitor.wiring import build_monitor

    reference = _read_reference(reference_path)
    # Retraining off: the benchmark measures the drift run, not building a training set.
    settings = DriftSettings(
        database_url=url,
        state_dir=workdir,
        key_columns=[],
        retrain_on_prediction_drift=False,
        drift_share_threshold=1.0,
    )
    monitor = build_monitor(settings)
    monitor.references.load = lambda _m, _v: reference  # type: ignore[method-assign]
    phases: dict[str, Any] = {}

    class Phases(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            phases.update({k: v for k, v in vars(record).items() if k.endswith("_s")})

    logging.getLogger("modelfleet.drift_monitor.runs").addHandler(Phases())
    logging.getLogger("modelfleet.drift_monitor.runs").setLevel(logging.INFO)
    rss_before = _peak_rss_gb()
    started = time.perf_counter()
    run = monitor.run(MODEL, VERSION, WindowSpec(hours=1))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_gb": _peak_rss_gb(),
        "rss_before_gb": rss_before,
        "status": run.status,
        "rows": run.current_rows,
        "sampled": run.sampled,
        "drift_share": run.drift_share,
        "decision": run.decision,
        "phases": phases,
    }


def child_evidently(reference_path: Path, current_path: Path) -> dict[str, Any]:
    from modelfleet.drift_monitor.analysis import build_report

    reference = _read_reference(reference_path)
    current = pd.read_parquet(current_path)
    report, current_ds, reference_ds = build_report(reference, current, drift_share=0.3)
    rss_before = _peak_rss_gb()
    started = time.perf_counter()
    report.run(current_ds, reference_ds)
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_gb": _peak_rss_gb(),
        "rss_before_gb": rss_before,
        "rows": len(current),
    }


def _read_reference(path: Path) -> Reference:
    reference = make_reference(1)
    reference.frame = pd.read_parquet(path)
    return reference


def _peak_rss_gb() -> float:
    """This process's peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries that over ``execve``
    from the parent, which holds the million generated rows."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=40_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (
            child_service(rest[0], Path(rest[1]), Path(rest[2]))
            if kind == "service"
            else child_evidently(Path(rest[0]), Path(rest[1]))
        )
        print(json.dumps(result))
        return

    admin_url = make_url(os.environ.get("MODELFLEET_BENCH_DATABASE_URL", DEFAULT_ADMIN))
    name = f"modelfleet_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
            work = Path(tmp)
            reference = make_reference(args.reference_rows)
            reference.frame.to_parquet(work / "reference.parquet")
            load_s = load_predictions(url, args.rows)
            print(f"loaded {args.rows:,} predictions with COPY in {load_s:.1f} s", flush=True)
            _dump_current(url, reference, work / "current.parquet")
            ref_file, current_file = str(work / "reference.parquet"), str(work / "current.parquet")
            alone = _child("evidently", ref_file, current_file)
            service = _child("service", url, str(work / "state"), ref_file)
        _print_table(args, service, alone)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _dump_current(url: str, reference: Reference, path: Path) -> None:
    """The current frame exactly as the service reads it, for the Evidently-alone baseline."""
    from modelfleet.drift_monitor.window import WindowSpec, count_window, read_window

    engine = create_engine(url)
    spec = WindowSpec(hours=1)
    count = count_window(engine, MODEL, VERSION, spec)
    read_window(engine, reference, spec, count.rows).frame.to_parquet(path)
    engine.dispose()


def _print_table(args: argparse.Namespace, service: dict[str, Any], alone: dict[str, Any]) -> None:
    ratio = service["seconds"] / alone["seconds"]
    print()
    print(f"drift on {args.rows:,} current rows vs {args.reference_rows:,} reference rows")
    print(f"{'case':<34}{'wall s':>9}{'peak RSS GB':>13}{'vs Evidently':>14}")
    for case, result, vs in (
        ("Evidently alone (frames in memory)", alone, 1.0),
        ("service: full drift run", service, ratio),
    ):
        print(f"{case:<34}{result['seconds']:>9.1f}{result['peak_rss_gb']:>13.2f}{vs:>13.2f}x")
    print()
    print(
        f"service run: status {service['status']}, {service['rows']:,} rows, sampled "
        f"{service['sampled']}, drift share {service['drift_share']:.2f}, "
        f"decision {service['decision']}"
    )
    phases = service["phases"]
    print(
        f"service phases: stream from PostgreSQL {phases.get('read_s')} s, Evidently (incl. "
        f"verdict extraction) {phases.get('evidently_s')} s, HTML + workspace snapshot "
        f"{phases.get('store_s')} s; rest = count, reference, rows"
    )
    checks = {
        "wall < 60 s": service["seconds"] < 60,
        "peak RSS < 3 GB": service["peak_rss_gb"] < 3,
        "ratio <= 1.5x": ratio <= 1.5,
    }
    print("targets: " + ", ".join(f"{k} {'OK' if v else 'MISSED'}" for k, v in checks.items()))


if __name__ == "__main__":
    main()
