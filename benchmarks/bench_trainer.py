"""Time train + log + register of the real 40k-row gaming model for every model type.

Starts its own ``mlflow server`` (temporary SQLite store and artifact folder, free port), then
trains each model type once on ``online_gaming_behavior.csv`` exactly as ``modelfleet train``
does, and splits the wall time into fitting (load, fit, metrics, importances), MLflow logging
(params, metrics, plots, dataset input, reference sample) and the model upload + registration.
Prints one table; the issue's target is hgb < 30 s.

    uv run python benchmarks/bench_trainer.py [--data PATH] [--models hgb,rf] [--threads 0,1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from modelfleet.cli.processes import start_mlflow_server
from modelfleet.trainer.pipeline import MODEL_TYPES
from modelfleet.trainer.training import TrainRequest, train_and_register

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = (
    Path(os.environ.get("MODELFLEET_DATASETS_DIR", ROOT.parent / "shared" / "datasets"))
    / "online_gaming_behavior.csv"
)
TARGET_SECONDS = {"hgb": 30.0}


def _time_one(model_type: str, data: Path, uri: str) -> dict[str, float | str]:
    marks: dict[str, float] = {}

    def progress(message: str) -> None:
        marks.setdefault(message.split(" ")[0], time.perf_counter())

    start = time.perf_counter()
    result = train_and_register(
        TrainRequest(
            data=str(data), target="EngagementLevel", model_type=model_type, model_name="bench"
        ),
        tracking_uri=uri,
        data_path=data,
        progress=progress,
    )
    end = time.perf_counter()
    logging_start, register_start = marks["logging"], marks["registering"]
    return {
        "model": model_type,
        "version": result.version,
        "fit": logging_start - start,
        "log": register_start - logging_start,
        "register": end - register_start,
        "total": end - start,
        "f1_macro": result.metrics["test_f1_macro"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--models", default=",".join(MODEL_TYPES))
    parser.add_argument(
        "--threads",
        type=lambda text: [int(t) for t in text.split(",")],
        default=[0],
        help="OpenMP/BLAS thread caps to compare side by side, e.g. 0,1 (0: library default)",
    )
    args = parser.parse_args()
    if not args.data.exists():
        print(f"data file not found: {args.data} (set MODELFLEET_DATASETS_DIR)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-trainer-") as tmp:
        server = start_mlflow_server(Path(tmp))
        try:
            rows = []
            # The first training in a process also pays one-off imports and first calls
            # (plots, MLflow dataset and model code, experiment and model creation): shown as
            # its own row so the per-model rows compare like with like.
            warm = _time_one("logreg", args.data, server.url)
            rows.append({**warm, "model": "logreg (first, cold)", "threads": "-"})
            for threads in args.threads:
                with threadpool_limits(limits=threads or None):
                    for model_type in args.models.split(","):
                        row = _time_one(model_type, args.data, server.url)
                        rows.append({**row, "threads": str(threads or "all")})
                        print(
                            f"  {model_type} threads={threads}: {row['total']:.1f}s",
                            file=sys.stderr,
                        )
        finally:
            server.stop()
    print(f"\ntrain + log + register, {args.data.name}, {os.cpu_count()} CPUs")
    print(
        f"{'model':<22}{'threads':>8}{'fit s':>8}{'log s':>8}{'model+register s':>18}{'total s':>9}"
        f"{'f1_macro':>10}  target"
    )
    for row in rows:
        target = TARGET_SECONDS.get(str(row["model"]))
        verdict = (
            ""
            if target is None
            else f"< {target:.0f}s " + ("ok" if float(row["total"]) < target else "MISSED")
        )
        print(
            f"{row['model']:<22}{row['threads']:>8}{row['fit']:>8.1f}{row['log']:>8.1f}{row['register']:>18.1f}"
            f"{row['total']:>9.1f}{row['f1_macro']:>10.3f}  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
