"""Serve the gaming model three ways and load each with the same ``wrk`` script, side by side.

    uv run python benchmarks/bench_model_server.py [--seconds 8]

Trains the real 40k-row gaming model with ``train_and_register`` into a private ``mlflow server``,
then serves version 1 with (a) ``python -m modelfleet.model_server``, (b) ``mlflow models serve
--env-manager local`` and (c) MLServer 1.7.1 + mlserver-mlflow with adaptive batching (32 rows /
5 ms, own virtualenv under ``benchmarks/.venvs/``). One server runs at a time; each gets the same
single-row bodies at 1, 16 and 64 connections and a 100-row body at 16 connections. modelfleet is
measured once more with prediction logging on (to a minimal local receiver). Prints a table and
ratios and writes ``benchmarks/results/model_server.json``. Only 127.0.0.1 is loaded; every run is
bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_server_load import LoadResult, ensure_wrk, run_wrk
from model_server_servers import (
    ROOT,
    ensure_mlserver_venv,
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

DATA = ROOT.parent / "shared" / "datasets" / "online_gaming_behavior.csv"
MODEL = "gaming-bench"
SCENARIOS = [("1 row", 1, 1), ("1 row", 16, 1), ("1 row", 64, 1), ("100 rows", 16, 100)]


def train(workdir: Path) -> tuple[ManagedProcess, Path]:
    """A private tracking server with version 1 of the gaming model, and a local copy of it."""
    import mlflow.artifacts

    from modelfleet.trainer.training import TrainRequest, train_and_register

    mlflow_server = start_mlflow_server(workdir)
    print("training the gaming model on 40k rows …", flush=True)
    request = TrainRequest(data=str(DATA), target="EngagementLevel", model_name=MODEL)
    train_and_register(request, tracking_uri=mlflow_server.url, data_path=DATA)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{MODEL}/1",
        dst_path=str(workdir / "model"),
        tracking_uri=mlflow_server.url,
    )
    return mlflow_server, Path(local)


def bodies(rows: pd.DataFrame) -> dict[str, Callable[[pd.DataFrame], bytes]]:
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
    return {
        "modelfleet": lambda f: json.dumps({"records": records(f)}).encode(),
        "mlflow": lambda f: json.dumps({"dataframe_records": records(f)}).encode(),
        "mlserver": v2,
    }


def labels(server: str, answer: dict[str, Any]) -> list[str]:
    if server == "modelfleet":
        return [p["prediction"] for p in answer["predictions"]]
    if server == "mlflow":
        return [str(p) for p in answer["predictions"]]
    return [str(v) for v in answer["outputs"][0]["data"]]


def measure(
    name: str,
    url: str,
    encode: Callable[[pd.DataFrame], bytes],
    rows: pd.DataFrame,
    args: argparse.Namespace,
    wrk: str,
    workdir: Path,
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
    for label, connections, n in SCENARIOS:
        result = run_wrk(
            wrk,
            url,
            encode(rows.head(n)),
            connections=connections,
            seconds=args.seconds,
            workdir=workdir,
        )
        results[f"{label} @{connections}"] = result
        print(
            f"  {name:<22} {label:>8} @{connections:<3} {result.requests_per_s:9.0f} req/s "
            f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}",
            flush=True,
        )
    return results, predicted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="duration of each load run")
    args = parser.parse_args()
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    wrk = ensure_wrk()
    mlserver_bin = ensure_mlserver_venv()
    rows = (
        pd.read_csv(DATA)
        .drop(columns=["PlayerID", "EngagementLevel"])
        .sample(100, random_state=1)
        .reset_index(drop=True)
    )
    encoders = bodies(rows)
    table: dict[str, dict[str, LoadResult]] = {}
    agree: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-model-server-") as tmp:
        workdir = Path(tmp)
        mlflow_server, model_dir = train(workdir)
        uri = mlflow_server.url
        servers: list[tuple[str, str, Callable[[], ManagedProcess], str]] = [
            (
                "modelfleet",
                "modelfleet",
                lambda: start_modelfleet(uri, MODEL, "1", workdir),
                "/v1/predict",
            ),
            (
                "mlflow",
                "mlflow models serve",
                lambda: start_mlflow_serve(uri, MODEL, "1", workdir),
                "/invocations",
            ),
            (
                "mlserver",
                "MLServer (batch 32/5ms)",
                lambda: start_mlserver(model_dir, workdir, mlserver_bin),
                "/v2/models/gaming/infer",
            ),
        ]
        try:
            for key, title, start, path in servers:
                print(f"{title}:", flush=True)
                proc = start()
                try:
                    table[title], agree[title] = measure(
                        key, proc.url + path, encoders[key], rows, args, wrk, workdir
                    )
                finally:
                    proc.stop()
            table["modelfleet, logging on"] = logging_on(uri, workdir, encoders, rows, args, wrk)
        finally:
            mlflow_server.stop()
    report(table, agree)
    return 0


def logging_on(
    uri: str,
    workdir: Path,
    encoders: dict[str, Callable[[pd.DataFrame], bytes]],
    rows: pd.DataFrame,
    args: argparse.Namespace,
    wrk: str,
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
        results, _ = measure(
            "modelfleet",
            server.url + "/v1/predict",
            encoders["modelfleet"],
            rows,
            args,
            wrk,
            workdir,
        )
        shipped = int(httpx.get(receiver.url + "/").text)
        print(f"  receiver got {shipped:,} prediction log rows", flush=True)
    finally:
        server.stop()
        receiver.stop()
    return results


def report(table: dict[str, dict[str, LoadResult]], agree: dict[str, list[str]]) -> None:
    keys = [f"{label} @{c}" for label, c, _ in SCENARIOS]
    print("\nrequests/s (p50 / p99 ms); 100-row runs also in rows/s")
    print(f"{'server':<26}" + "".join(f"{k:>28}" for k in keys))
    for name, results in table.items():
        cells = []
        for key in keys:
            r = results[key]
            rate = (
                f"{r.requests_per_s * 100:,.0f} rows/s"
                if key.startswith("100")
                else (f"{r.requests_per_s:,.0f}/s")
            )
            cells.append(f"{rate} ({r.p50_ms:.1f}/{r.p99_ms:.1f})")
        print(f"{name:<26}" + "".join(f"{c:>28}" for c in cells))
    ours, mlflow_, mlserver = (
        table["modelfleet"],
        table["mlflow models serve"],
        table["MLServer (batch 32/5ms)"],
    )
    key16, key100 = "1 row @16", "100 rows @16"
    ratios = {
        "vs mlflow models serve, 1 row @16": ours[key16].requests_per_s
        / mlflow_[key16].requests_per_s,
        "vs MLServer, 1 row @16": ours[key16].requests_per_s / mlserver[key16].requests_per_s,
        "vs MLServer, 100 rows @16 (rows/s)": ours[key100].requests_per_s
        / mlserver[key100].requests_per_s,
        "logging on / off, 1 row @16": table["modelfleet, logging on"][key16].requests_per_s
        / ours[key16].requests_per_s,
    }
    print()
    for what, ratio in ratios.items():
        print(f"modelfleet {what}: {ratio:.2f}x")
    reference = agree["modelfleet"]
    for name, predicted in agree.items():
        same = sum(a == b for a, b in zip(predicted, reference, strict=True))
        print(f"{name}: {same}/{len(reference)} of the 100 check rows predicted like modelfleet")
    out = ROOT / "benchmarks" / "results" / "model_server.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "results": {n: {k: vars(v) for k, v in r.items()} for n, r in table.items()},
                "ratios": ratios,
            },
            indent=2,
        )
    )
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    sys.exit(main())
