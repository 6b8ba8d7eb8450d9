"""Which runtime for the model-server's fast path: Treelite (compiled or GTIL) or ONNX Runtime.

    make bench-fast-paths                   # adds onnxruntime + skl2onnx for this run only
    make bench-fast-paths BENCH_ARGS="hgb logreg"

For each model type the trainer offers (hgb, gbm, rf, logreg at their defaults), fitted on the
gaming file (``MODELFLEET_DATASETS_DIR``, else 40,034 synthetic rows), one thread: the cost of
one call for 1 and 100 rows and the agreement with ``pipeline.predict_proba`` on every row
(labels that differ, largest probability difference) of

* the scikit-learn pipeline, and the numpy preprocessing in front of the fitted estimator;
* the numpy preprocessing in front of the tree predictor compiled with tl2cgen (with ``gcc``),
  and in front of Treelite's GTIL interpreter;
* ONNX Runtime on the whole pipeline converted by skl2onnx, and on the estimator alone behind
  the numpy preprocessing, each with double inputs where the converter allows it, else float.

ONNX Runtime is not a dependency of modelfleet: it is measured here, not served (the choice and
the figures are in docs/model-server.md). Writes ``benchmarks/results/fast_paths.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_model_server import TARGET, data_file

from modelfleet.common.datasets.loading import load_dataset
from modelfleet.model_server.preprocessing import CompiledPreprocessing
from modelfleet.model_server.trees import TreeOutput
from modelfleet.trainer.pipeline import build_pipeline
from modelfleet.trainer.training.compiling import MAX_NODES, node_count

ROOT = Path(__file__).resolve().parent.parent
MODEL_TYPES = ("hgb", "gbm", "rf", "logreg")


def per_call_ms(call: Callable[[], Any], seconds: float = 0.5) -> float:
    call()
    calls, start = 0, time.perf_counter()
    while calls < 5 or time.perf_counter() - start < seconds:
        call()
        calls += 1
    return (time.perf_counter() - start) / calls * 1000.0


def agreement(got: np.ndarray, want: np.ndarray) -> dict[str, Any]:
    got = np.asarray(got, dtype=np.float64)
    return {
        "labels_differ": int((got.argmax(1) != want.argmax(1)).sum()),
        "max_probability_difference": float(np.abs(got - want).max()),
    }


def columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    return {c: [None if pd.isna(v) else v for v in frame[c].tolist()] for c in frame.columns}


class Case:
    """One fitted model type: its pipeline, the data, and the matrix-path helper."""

    def __init__(self, kind: str, frame: pd.DataFrame, numeric: list[str], text: list[str]):
        self.kind, self.x, self.numeric, self.text = kind, frame, numeric, text
        params = {"n_jobs": 1} if kind == "rf" else {}
        self.pipeline = build_pipeline(kind, params, numeric, text)

    def fit(self, y: pd.Series) -> float:
        start = time.perf_counter()
        self.pipeline.fit(self.x, y)
        self.want = np.asarray(self.pipeline.predict_proba(self.x))
        steps = CompiledPreprocessing.compile(self.pipeline)
        assert steps is not None
        self.steps = steps
        return time.perf_counter() - start

    def measure(self, outputs: Callable[[dict[str, list[Any]], int], np.ndarray]) -> dict[str, Any]:
        """``outputs(columns, rows)``: 1 and 100 rows timed, every row compared."""
        one, hundred = columns(self.x.head(1)), columns(self.x.head(100))
        return {
            "ms_1": per_call_ms(lambda: outputs(one, 1)),
            "ms_100": per_call_ms(lambda: outputs(hundred, 100)),
            **agreement(outputs(columns(self.x), len(self.x)), self.want),
        }

    def behind_numpy(self, predict: Callable[[np.ndarray], Any]) -> dict[str, Any]:
        return self.measure(lambda cols, n: predict(self.steps.transform(cols, n)))


def treelite_paths(case: Case, workdir: Path) -> dict[str, Any]:
    import tl2cgen
    import treelite

    estimator = case.pipeline[-1]
    output = TreeOutput.of(type(estimator).__name__, len(estimator.classes_))
    model = treelite.sklearn.import_model(estimator)
    out: dict[str, Any] = {}

    def gtil(matrix: np.ndarray) -> np.ndarray:
        raw = treelite.gtil.predict(
            model, output.inputs(matrix), nthread=1, pred_margin=output.margin
        )
        return output.probabilities(raw, matrix.shape[0])

    out["treelite GTIL"] = case.behind_numpy(gtil)
    nodes = node_count(estimator)
    if shutil.which("gcc") is None:
        out["tl2cgen compiled"] = {"skipped": "no gcc on PATH"}
    elif nodes > MAX_NODES:
        out["tl2cgen compiled"] = {"skipped": f"{nodes:,} nodes, over {MAX_NODES:,}"}
    else:
        library = workdir / f"{case.kind}.so"
        start = time.perf_counter()
        tl2cgen.export_lib(model, toolchain="gcc", libpath=str(library))
        compile_s = time.perf_counter() - start
        predictor = tl2cgen.Predictor(str(library), nthread=1, verbose=False)

        def compiled(matrix: np.ndarray) -> np.ndarray:
            data = tl2cgen.DMatrix(output.inputs(matrix), dtype="float64")
            raw = predictor.predict(data, pred_margin=output.margin)
            return output.probabilities(raw, matrix.shape[0])

        out["tl2cgen compiled"] = {**case.behind_numpy(compiled), "compile_s": compile_s}
    out["tree nodes"] = nodes
    return out


def onnx_paths(case: Case) -> dict[str, Any]:
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    estimator = case.pipeline[-1]
    opsets = {"": 21, "ai.onnx.ml": 3}
    out: dict[str, Any] = {}

    def session(model: Any) -> Any:
        return ort.InferenceSession(model.SerializeToString(), options, ["CPUExecutionProvider"])

    try:  # the whole pipeline: one input per column
        types = [(c, DoubleTensorType([None, 1])) for c in case.numeric]
        types += [(c, StringTensorType([None, 1])) for c in case.text]
        converted = to_onnx(
            case.pipeline,
            initial_types=types,
            target_opset=opsets,
            options={id(estimator): {"zipmap": False}},
        )
        whole = session(converted)
        name = whole.get_outputs()[1].name

        def feeds(cols: dict[str, list[Any]]) -> dict[str, np.ndarray]:
            numbers = {c: np.array(cols[c], dtype=np.float64).reshape(-1, 1) for c in case.numeric}
            texts = {
                c: np.array(["" if v is None else v for v in cols[c]]).reshape(-1, 1)
                for c in case.text
            }
            return {**numbers, **texts}

        out["onnxruntime, whole pipeline"] = case.measure(
            lambda cols, _n: whole.run([name], feeds(cols))[0]
        )
    except Exception as exc:  # the converter's or the runtime's refusal is the finding
        out["onnxruntime, whole pipeline"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    width = case.steps.width
    for label, tensor, dtype in (
        ("double", DoubleTensorType, np.float64),
        ("float", FloatTensorType, np.float32),
    ):
        key = f"onnxruntime, estimator ({label} inputs)"
        try:
            start = time.perf_counter()
            model = to_onnx(
                estimator,
                initial_types=[("X", tensor([None, width]))],
                target_opset=opsets,
                options={id(estimator): {"zipmap": False}},
            )
            convert_s = time.perf_counter() - start
            run = session(model)
            name = run.get_outputs()[1].name
            found = case.behind_numpy(
                lambda m, r=run, n=name, d=dtype: r.run([n], {"X": m.astype(d)})[0]
            )
            out[key] = {**found, "convert_s": convert_s, "onnx_mb": model.ByteSize() / 1e6}
        except Exception as exc:
            out[key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return out


def main() -> int:
    threadpool_limits(1)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fast-paths-") as tmp:
        workdir = Path(tmp)
        path, note = data_file(workdir)
        data = load_dataset(path, TARGET)
        print(f"data: {note}", flush=True)
        for kind in sys.argv[1:] or MODEL_TYPES:
            case = Case(kind, data.features, data.numeric_columns, data.categorical_columns)
            found: dict[str, Any] = {"fit_s": case.fit(data.labels)}
            pipeline = case.pipeline
            frames = {n: case.x.head(n) for n in (1, 100, len(case.x))}
            found["scikit-learn pipeline"] = case.measure(
                lambda _cols, n, p=pipeline, f=frames: p.predict_proba(f[n])
            )
            found["numpy preprocessing + estimator"] = case.behind_numpy(pipeline[-1].predict_proba)
            if kind != "logreg":
                found.update(treelite_paths(case, workdir))
            found.update(onnx_paths(case))
            results[kind] = found
            print(kind, json.dumps(found, indent=1), flush=True)
    load = os.getloadavg()
    out = ROOT / "benchmarks" / "results" / "fast_paths.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"data": note, "load_average": load, "results": results}, indent=2))
    print(f"\nload average {load[0]:.1f}; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
