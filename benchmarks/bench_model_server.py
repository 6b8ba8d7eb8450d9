"""The gaming model served six ways, loaded with the same ``wrk`` runs side by side.

    make bench-serving                      # or: uv run python benchmarks/bench_model_server.py
    make bench-serving BENCH_ARGS="--seconds 4"

Trains the 40k-row gaming model (the real file from ``MODELFLEET_DATASETS_DIR``, else the
synthetic generator at the same scale) with ``train_and_register`` into a private ``mlflow
server``, then serves version 1 with: modelfleet (compiled path, every core), modelfleet on
version 2 (the same model trained without a C compiler: Treelite's interpreter), modelfleet with
the fast path off, MLServer 1.7.1 + mlserver-mlflow in its best configuration found in the same
run (batch size / wait / parallel workers, own virtualenv under ``benchmarks/.venvs/``), ``mlflow
models serve --env-manager local``, and a pure ASGI app with a fixed answer (the HTTP floor).
One server runs at a time; each gets single-row bodies at 1, 16 and 64 connections and a 100-row
body at 16. modelfleet runs once more with prediction logging on. Also measured in this process:
every execution path's predict cost for 1 and 100 rows, and the agreement of the compiled and
the interpreted path with scikit-learn on every row of the file. Prints the table, the ratios
against the targets of the issue and writes ``benchmarks/results/model_server.json``. Only
127.0.0.1 is loaded; each run lasts ``--seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httpx
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_server_load import LoadResult, ensure_wrk, run_wrk
from model_server_servers import (
    ROOT,
    ensure_mlserver_venv,
    start_http_floor,
    start_mlflow_serve,
    start_mlserver,
    start_modelfleet,
)

from modelfleet.cli.processes import (
    ManagedProcess,
    free_port,
    start_mlflow_server,
    start_process,
    wait_until_ready,
)

MODEL = "gaming-bench"
TARGET = "EngagementLevel"
SCENARIOS = [("1 row", 1, 1), ("1 row", 16, 1), ("1 row", 64, 1), ("100 rows", 16, 100)]
MLSERVER_CONFIGS = [  # (max batch size, max batch time s, parallel workers)
    (32, 0.005, 0),
    (16, 0.002, 0),
    (64, 0.01, 0),
    (32, 0.005, 2),
]
Encoder = Callable[[pd.DataFrame], bytes]


def data_file(workdir: Path) -> tuple[Path, str]:
    """The real gaming file when ``MODELFLEET_DATASETS_DIR`` has it, else 40,034 synthetic rows."""
    shared = os.environ.get("MODELFLEET_DATASETS_DIR")
    if shared and (Path(shared) / "online_gaming_behavior.csv").is_file():
        return Path(shared) / "online_gaming_behavior.csv", "real gaming file (40,034 rows)"
    from modelfleet.cli.synthetic import GamingGenerator

    path = workdir / "gaming_synthetic.csv"
    GamingGenerator(seed=7).generate(40_034).to_csv(path, index=False)
    return path, "synthetic gaming data (40,034 rows; MODELFLEET_DATASETS_DIR not set)"


def train(workdir: Path, data: Path) -> tuple[ManagedProcess, Path]:
    """A private tracking server with the gaming model, and a local copy of version 1.

    Version 1 is trained here, with a C compiler on PATH when the machine has one, so it carries
    the compiled tree predictor; version 2 is the same model trained with no compiler on PATH,
    as in the trainer's image: it is served through Treelite's interpreter.
    """
    import mlflow.artifacts

    from modelfleet.common.wire import TrainRequest
    from modelfleet.trainer.training import train_and_register

    mlflow_server = start_mlflow_server(workdir)
    print("training the gaming model (twice: with and without a C compiler) …", flush=True)
    request = TrainRequest(data=str(data), target=TARGET, model_name=MODEL)
    train_and_register(request, tracking_uri=mlflow_server.url, data_path=data)
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join(d for d in path.split(os.pathsep) if not _has_gcc(d))
    try:
        train_and_register(request, tracking_uri=mlflow_server.url, data_path=data)
    finally:
        os.environ["PATH"] = path
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{MODEL}/1",
        dst_path=str(workdir / "model"),
        tracking_uri=mlflow_server.url,
    )
    return mlflow_server, Path(local)


def _has_gcc(directory: str) -> bool:
    return bool(directory) and (Path(directory) / "gcc").exists()


def encoders() -> dict[str, Encoder]:
    """How each server wants the same rows."""

    def v2(frame: pd.DataFrame) -> bytes:
        inputs = []
        for column in frame.columns:
            values = frame[column]
            if values.dtype == object:
                spec = {"datatype": "BYTES", "parameters": {"content_type": "str"}}
            elif pd.api.types.is_integer_dtype(values):
                spec = {"datatype": "INT64"}
            else:
                spec = {"datatype": "FP64"}
            inputs.append({"name": column, "shape": [len(frame)], "data": values.tolist(), **spec})
        return json.dumps({"parameters": {"content_type": "pd"}, "inputs": inputs}).encode()

    records = lambda f: json.loads(f.to_json(orient="records"))  # noqa: E731
    native = lambda f: json.dumps({"records": records(f)}).encode()  # noqa: E731
    return {
        "modelfleet": native,
        "floor": native,
        "mlflow": lambda f: json.dumps({"dataframe_records": records(f)}).encode(),
        "mlserver": v2,
    }


def labels(server: str, answer: dict[str, Any]) -> list[str]:
    if server in ("modelfleet", "floor"):
        return [p["prediction"] for p in answer["predictions"]]
    if server == "mlflow":
        return [str(p) for p in answer["predictions"]]
    return [str(v) for v in answer["outputs"][0]["data"]]


def measure(
    name: str,
    url: str,
    encode: Encoder,
    rows: pd.DataFrame,
    seconds: int,
    wrk: str,
    workdir: Path,
    scenarios: list[tuple[str, int, int]] = SCENARIOS,
) -> tuple[dict[str, LoadResult], list[str]]:
    check = httpx.post(
        url,
        content=encode(rows.head(100)),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    check.raise_for_status()
    predicted = labels(name, check.json())
    run_wrk(wrk, url, encode(rows.head(1)), connections=16, seconds=2, workdir=workdir)  # warm-up
    results = {}
    for label, connections, n in scenarios:
        result = run_wrk(
            wrk,
            url,
            encode(rows.head(n)),
            connections=connections,
            seconds=seconds,
            workdir=workdir,
        )
        results[f"{label} @{connections}"] = result
        print(
            f"  {name:<12} {label:>8} @{connections:<3} {result.requests_per_s:9.0f} req/s "
            f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}  "
            f"machine stall p99 {result.stall_p99_ms:.1f} ms",
            flush=True,
        )
    return results, predicted


def in_process(uri: str, data: Path) -> dict[str, Any]:
    """Each execution path's predict cost for 1 and 100 rows, and the served path's agreement
    with scikit-learn on every row of the file (version 1: compiled; version 2: interpreted)."""
    from threadpoolctl import threadpool_limits

    from modelfleet.common.mlflow_registry import ModelRef
    from modelfleet.model_server.execution import (
        PipelineExecution,
        PreprocessedExecution,
        estimator_outputs,
    )
    from modelfleet.model_server.runtime import load
    from modelfleet.model_server.schema import InputSchema

    compiled, interpreted = load(ModelRef(MODEL, "1"), uri), load(ModelRef(MODEL, "2"), uri)
    threadpool_limits(1)  # as the servers run their model calls (one inference thread)
    frame = pd.read_csv(data)
    features = frame[compiled.schema.names]
    rows = features.astype(object).where(features.notna(), None).to_dict(orient="records")
    everything = InputSchema(compiled.schema.columns, max_rows=len(rows)).from_records(rows)
    reference = np.asarray(compiled.pipeline.predict_proba(features))
    out: dict[str, Any] = {"rows": len(rows)}
    for model in (compiled, interpreted):
        start = time.perf_counter()
        got = model.execution.outputs(everything)
        out[f"version {model.version}"] = {
            "execution": model.execution_report.path,
            "labels_identical": bool((got.argmax(1) == reference.argmax(1)).all()),
            "max_probability_difference": float(np.abs(got - reference).max()),
            "all_rows_seconds": time.perf_counter() - start,
        }
    steps = cast(PreprocessedExecution, compiled.execution).preprocessing
    paths: dict[str, Any] = {
        "compiled (tl2cgen)": compiled.execution,
        "treelite-gtil": interpreted.execution,
        "numpy-preprocessing": PreprocessedExecution(
            steps, estimator_outputs(compiled.pipeline[-1])
        ),
        "scikit-learn pipeline": PipelineExecution(compiled.pipeline, compiled.schema),
    }
    for n in (1, 100):
        batch = compiled.schema.from_records(rows[:n])
        out[f"predict_ms_{n}"] = {
            name: _per_call_ms(
                lambda b=batch, e=path: e.outputs(b), calls=50 if "scikit" in name else 300
            )
            for name, path in paths.items()
        }
    return out


def _per_call_ms(call: Callable[[], Any], calls: int = 300) -> float:
    call()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls * 1000.0


def best_mlserver(
    model_dir: Path, workdir: Path, bin_dir: Path, rows: pd.DataFrame, wrk: str
) -> tuple[tuple[int, float, int], dict[str, float]]:
    """Try each configuration briefly on single rows at 16 connections; the fastest wins."""
    tried: dict[str, float] = {}
    best, best_rate = MLSERVER_CONFIGS[0], -1.0
    body = encoders()["mlserver"](rows.head(1))
    for config in MLSERVER_CONFIGS:
        size, wait, workers = config
        proc = start_mlserver(
            model_dir, workdir, bin_dir, batch_size=size, batch_time=wait, parallel_workers=workers
        )
        try:
            url = proc.url + "/v2/models/gaming/infer"
            run_wrk(wrk, url, body, connections=16, seconds=2, workdir=workdir)
            rate = run_wrk(wrk, url, body, connections=16, seconds=4, workdir=workdir)
        finally:
            proc.stop()
        tried[f"batch {size} / {wait * 1000:g} ms / {workers} parallel workers"] = (
            rate.requests_per_s
        )
        print(f"  MLServer {config}: {rate.requests_per_s:.0f} req/s", flush=True)
        if rate.requests_per_s > best_rate:
            best, best_rate = config, rate.requests_per_s
    return best, tried


def logging_on(
    uri: str, workdir: Path, rows: pd.DataFrame, seconds: int, wrk: str
) -> dict[str, LoadResult]:
    """modelfleet again, shipping every prediction to a minimal receiver on this machine."""
    port = free_port()
    receiver = start_process(
        "receiver",
        [sys.executable, str(Path(__file__).with_name("model_server_receiver.py")), str(port)],
        url=f"http://127.0.0.1:{port}",
        log_path=workdir / "receiver.log",
    )
    wait_until_ready(receiver, "/", timeout=30)
    print("modelfleet, logging on:", flush=True)
    server = start_modelfleet(uri, MODEL, "1", workdir, MODELFLEET_COLLECTOR_URL=receiver.url)
    try:
        scenarios = [s for s in SCENARIOS if s[1] == 16]
        results, _ = measure(
            "modelfleet",
            server.url + "/v1/predict",
            encoders()["modelfleet"],
            rows,
            seconds,
            wrk,
            workdir,
            scenarios,
        )
        shipped = int(httpx.get(receiver.url + "/").text)
        print(f"  receiver got {shipped:,} prediction log rows", flush=True)
    finally:
        server.stop()
        receiver.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="duration of each load run")
    args = parser.parse_args()
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    wrk = ensure_wrk()
    mlserver_bin = ensure_mlserver_venv()
    codecs = encoders()
    table: dict[str, dict[str, LoadResult]] = {}
    agree: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-model-server-") as tmp:
        workdir = Path(tmp)
        data, data_note = data_file(workdir)
        print(f"data: {data_note}", flush=True)
        rows = (
            pd.read_csv(data)
            .drop(columns=["PlayerID", TARGET])
            .sample(100, random_state=1)
            .reset_index(drop=True)
        )
        mlflow_server, model_dir = train(workdir, data)
        uri = mlflow_server.url
        try:
            limits = in_process(uri, data)
            print(f"in-process: {json.dumps(limits, indent=1)}", flush=True)
            mlserver_config, mlserver_tried = best_mlserver(
                model_dir, workdir, mlserver_bin, rows, wrk
            )
            size, wait, workers = mlserver_config
            mlserver_title = f"MLServer (batch {size}/{wait * 1000:g}ms, {workers} pw)"
            servers: list[tuple[str, str, Callable[[], ManagedProcess], str]] = [
                (
                    "modelfleet",
                    "modelfleet",
                    lambda: start_modelfleet(uri, MODEL, "1", workdir),
                    "/v1/predict",
                ),
                (
                    "modelfleet",
                    "modelfleet, Treelite GTIL (v2)",
                    lambda: start_modelfleet(uri, MODEL, "2", workdir),
                    "/v1/predict",
                ),
                (
                    "modelfleet",
                    "modelfleet, fast path off",
                    lambda: start_modelfleet(uri, MODEL, "1", workdir, MODELFLEET_COMPILED="false"),
                    "/v1/predict",
                ),
                (
                    "mlserver",
                    mlserver_title,
                    lambda: start_mlserver(
                        model_dir,
                        workdir,
                        mlserver_bin,
                        batch_size=size,
                        batch_time=wait,
                        parallel_workers=workers,
                    ),
                    "/v2/models/gaming/infer",
                ),
                (
                    "mlflow",
                    "mlflow models serve",
                    lambda: start_mlflow_serve(uri, MODEL, "1", workdir),
                    "/invocations",
                ),
                (
                    "floor",
                    "HTTP floor (fixed answer)",
                    lambda: start_http_floor(workdir, os.cpu_count() or 1),
                    "/",
                ),
            ]
            for key, title, start, path in servers:
                print(f"{title}:", flush=True)
                proc = start()
                try:
                    table[title], agree[title] = measure(
                        key, proc.url + path, codecs[key], rows, args.seconds, wrk, workdir
                    )
                finally:
                    proc.stop()
            table["modelfleet, logging on"] = logging_on(uri, workdir, rows, args.seconds, wrk)
        finally:
            mlflow_server.stop()
    agree.pop("HTTP floor (fixed answer)")
    report(table, agree, limits, mlserver_title, mlserver_tried, data_note)
    return 0


def report(
    table: dict[str, dict[str, LoadResult]],
    agree: dict[str, list[str]],
    limits: dict[str, Any],
    mlserver: str,
    mlserver_tried: dict[str, float],
    data_note: str,
) -> None:
    keys = [f"{label} @{c}" for label, c, _ in SCENARIOS]
    print(f"\ndata: {data_note}\nrequests/s (p50 / p99 ms); 100-row runs in rows/s")
    print(f"{'server':<34}" + "".join(f"{k:>30}" for k in keys))
    for name, results in table.items():
        cells = []
        for key in keys:
            r = results.get(key)
            if r is None:
                cells.append("—")
                continue
            rate = (
                f"{r.requests_per_s * 100:,.0f} rows/s"
                if key.startswith("100")
                else f"{r.requests_per_s:,.0f}/s"
            )
            cells.append(f"{rate} ({r.p50_ms:.1f}/{r.p99_ms:.1f})")
        print(f"{name:<34}" + "".join(f"{c:>30}" for c in cells))
    ours, theirs = table["modelfleet"], table[mlserver]
    floor, logged = table["HTTP floor (fixed answer)"], table["modelfleet, logging on"]
    k1, k64, k100 = "1 row @16", "1 row @64", "100 rows @16"
    checks = [
        ("1 row @16 vs MLServer", ours[k1].requests_per_s / theirs[k1].requests_per_s, ">= 6"),
        ("1 row @16 p99 / p50", ours[k1].p99_ms / ours[k1].p50_ms, "<= 3"),
        ("1 row @16 p99 vs MLServer p99", ours[k1].p99_ms / theirs[k1].p99_ms, "<= 0.25"),
        ("1 row @64 vs MLServer", ours[k64].requests_per_s / theirs[k64].requests_per_s, ">= 4"),
        (
            "100 rows @16 rows/s vs MLServer",
            ours[k100].requests_per_s / theirs[k100].requests_per_s,
            ">= 3",
        ),
        ("1 row @16 vs HTTP floor", ours[k1].requests_per_s / floor[k1].requests_per_s, ">= 0.5"),
        (
            "logging on/off, 1 row @16",
            logged[k1].requests_per_s / ours[k1].requests_per_s,
            ">= 0.9",
        ),
        (
            "logging on/off, 100 rows @16",
            logged[k100].requests_per_s / ours[k100].requests_per_s,
            ">= 0.9",
        ),
    ]
    print()
    ratios = {}
    for what, ratio, target in checks:
        op, bound = target.split()
        met = ratio >= float(bound) if op == ">=" else ratio <= float(bound)
        ratios[what] = {"ratio": ratio, "target": target, "met": met}
        print(f"modelfleet {what}: {ratio:.2f} (target {target}) {'met' if met else 'MISSED'}")
    for version in ("version 1", "version 2"):
        found = limits[version]
        print(
            f"{found['execution']} path ({version}) on all {limits['rows']:,} rows: labels "
            f"identical {found['labels_identical']}, largest probability difference "
            f"{found['max_probability_difference']:.2e}"
        )
    for n in (1, 100):
        costs = ", ".join(f"{k} {v:.3f} ms" for k, v in limits[f"predict_ms_{n}"].items())
        print(f"in-process predict, {n} row(s): {costs}")
    reference = agree["modelfleet"]
    for name, predicted in agree.items():
        same = sum(a == b for a, b in zip(predicted, reference, strict=True))
        print(f"{name}: {same}/{len(reference)} of the 100 check rows predicted like modelfleet")
    out = ROOT / "benchmarks" / "results" / "model_server.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "data": data_note,
                "results": {n: {k: vars(v) for k, v in r.items()} for n, r in table.items()},
                "ratios": ratios,
                "in_process": limits,
                "mlserver_configurations": mlserver_tried,
            },
            indent=2,
        )
    )
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    sys.exit(main())
