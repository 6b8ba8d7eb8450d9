"""``python -m modelfleet.model_server`` serves; ``… batch --input F --output F`` scores a file."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import orjson

from modelfleet.common.errors import ModelfleetError
from modelfleet.common.logging import configure_logging
from modelfleet.model_server.config import ModelServerSettings

WORKER_APP = "modelfleet.model_server.wiring:app_from_environment"

logger = logging.getLogger("modelfleet.model_server")


def serve(settings: ModelServerSettings) -> None:
    """One process per worker sharing the port; a single worker runs in this process."""
    import uvicorn

    workers = settings.resolved_workers()
    if workers > 1:
        # Read by prometheus_client in each worker process when it starts (before any metric).
        metrics_dir = settings.metrics_dir()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    from modelfleet.model_server.wiring import app_from_environment

    # several workers: each process builds its own app through the factory (by import path)
    app: Any = app_from_environment() if workers == 1 else WORKER_APP
    logger.info("serving on %s:%d with %d worker(s)", settings.host, settings.port, workers)
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelfleet.model_server")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP server (the default)")
    batch = sub.add_parser("batch", help="score a CSV/parquet file into a parquet file")
    batch.add_argument("--input", required=True, type=Path, help="CSV or parquet file to score")
    batch.add_argument("--output", required=True, type=Path, help="parquet file to write")
    batch.add_argument("--chunk-rows", type=int, default=50_000, help="rows per model call")
    args = parser.parse_args(argv)
    try:
        settings = ModelServerSettings()
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_json)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars in JSON logs
    # read by the OpenMP runtime when the model first loads it; also capped per thread later
    os.environ.setdefault("OMP_NUM_THREADS", str(settings.inference_threads))
    if args.command == "batch":
        if not args.input.is_file():
            logger.error("input file %s does not exist", args.input)
            return 2
        from modelfleet.model_server.file_scoring import run

        try:
            summary = asyncio.run(run(settings, args.input, args.output, args.chunk_rows))
        except ModelfleetError as exc:
            logger.error("batch scoring failed: %s", exc.detail)
            return 2
        sys.stdout.write(orjson.dumps(summary).decode() + "\n")
        return 0 if summary["scored"] else 1
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
