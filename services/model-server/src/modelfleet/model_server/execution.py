"""How a loaded version predicts: the fastest path that agrees with scikit-learn on real rows.

Candidates, fastest first (figures and the choice against ONNX Runtime: docs/model-server.md):

* ``compiled``: the numpy preprocessing in front of the tree predictor the trainer compiled with
  Treelite/tl2cgen (:class:`~modelfleet.model_server.trees.CompiledTrees`);
* ``treelite-gtil``: the numpy preprocessing in front of Treelite's interpreter on the
  estimator imported at load (:class:`~modelfleet.model_server.trees.InterpretedTrees`): tree
  ensembles the trainer could not compile (no compiler in its image, too large to compile);
* ``numpy-preprocessing``: the numpy preprocessing in front of the fitted scikit-learn estimator
  (linear models, or trees Treelite cannot import);
* ``scikit-learn``: the pipeline itself, the reference.

A candidate serves only after it agreed with the pipeline on the version's reference sample and
input example: identical labels and outputs within :data:`TOLERANCE`. Why each faster candidate
did not serve is kept in the :class:`ExecutionReport` (``/v1/model``, the log, a metric).

Outputs are a 2-D float64 array: class probabilities for a classifier; a regressor's
predictions would be one column, verified the same way without the label check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from modelfleet.model_server.preprocessing import CompiledPreprocessing
from modelfleet.model_server.schema import Batch, InputSchema
from modelfleet.model_server.trees import CompiledTrees, InterpretedTrees, TreesUnavailableError

TOLERANCE = 1e-9
"""Largest output difference to scikit-learn a faster path may show on the sample. Every path
computes in float64 from the same fitted values (only the order of summing trees differs), so
in practice they differ by ~1e-15."""

PATHS = ("compiled", "treelite-gtil", "numpy-preprocessing", "scikit-learn")

MatrixOutputs = Callable[[np.ndarray], np.ndarray]
"""The model's outputs for a preprocessed matrix."""


class Execution(Protocol):
    """The outputs of a validated batch (class probabilities in the model's class order)."""

    def outputs(self, batch: Batch) -> np.ndarray: ...


def estimator_outputs(estimator: Any) -> Callable[[Any], np.ndarray]:
    """What an estimator (or pipeline) answers: ``predict_proba``, else ``predict`` as a column."""
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba
    return lambda matrix: np.asarray(estimator.predict(matrix), dtype=np.float64).reshape(-1, 1)


@dataclass
class PipelineExecution:
    """The scikit-learn pipeline on a DataFrame: always correct, slow on small batches."""

    pipeline: Any
    schema: InputSchema

    def outputs(self, batch: Batch) -> np.ndarray:
        data = {
            name: (
                np.array(values, dtype=np.float64)
                if name in self.schema.numeric
                else np.array([np.nan if v is None else v for v in values], dtype=object)
            )
            for name, values in batch.values.items()
        }
        frame = pd.DataFrame(data, columns=self.schema.names)
        return np.asarray(estimator_outputs(self.pipeline)(frame))


@dataclass
class PreprocessedExecution:
    """Numpy preprocessing, then a predictor that takes the transformed matrix."""

    preprocessing: CompiledPreprocessing
    predict: MatrixOutputs

    def outputs(self, batch: Batch) -> np.ndarray:
        matrix = self.preprocessing.transform(batch.values, batch.size)
        return np.asarray(self.predict(matrix))


@dataclass
class ExecutionReport:
    """Which path serves, on how many rows it was verified, and why faster ones do not."""

    path: str
    verified_rows: int
    max_probability_difference: float | None
    fallbacks: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        why = "; ".join(f"not {path}: {reason}" for path, reason in self.fallbacks.items())
        return f"{self.path}" + (f" ({why})" if why else "")


@dataclass(frozen=True)
class PredictCost:
    """What one call of the serving path costs: a fixed part plus a part per row (measured)."""

    fixed_seconds: float
    per_row_seconds: float

    @classmethod
    def measure(cls, execution: Execution, one: Batch, many: Batch | None) -> PredictCost:
        """The best of a few calls on one row and on ``many`` rows (a busy machine only ever
        makes a call slower)."""
        fixed = min(_seconds(execution, one) for _ in range(5))
        if many is None or many.size <= one.size:
            return cls(fixed, fixed)
        per_row = max(0.0, min(_seconds(execution, many) for _ in range(3)) - fixed)
        return cls(fixed, per_row / (many.size - one.size))

    def rows_within(self, budget_seconds: float) -> int:
        """The most rows one call predicts within ``budget_seconds`` (0: not even one)."""
        if self.fixed_seconds > budget_seconds:
            return 0
        if self.per_row_seconds <= 0:
            return 1_000_000
        return int(1 + (budget_seconds - self.fixed_seconds) / self.per_row_seconds)


def _seconds(execution: Execution, batch: Batch) -> float:
    start = time.perf_counter()
    execution.outputs(batch)
    return time.perf_counter() - start


def choose(
    pipeline: Any,
    schema: InputSchema,
    sample: Batch | None,
    compiled_dir: Path | None,
    *,
    enabled: bool = True,
) -> tuple[Execution, ExecutionReport]:
    """The fastest candidate that agrees with the pipeline on ``sample``."""
    reference = PipelineExecution(pipeline, schema)
    fallbacks: dict[str, str] = {}
    faster = PATHS[:-1]
    if not enabled:
        fallbacks = dict.fromkeys(faster, "switched off (MODELFLEET_COMPILED=false)")
        return reference, ExecutionReport("scikit-learn", 0, None, fallbacks)
    if sample is None or sample.size == 0:
        fallbacks = dict.fromkeys(faster, "no reference sample or input example to verify on")
        return reference, ExecutionReport("scikit-learn", 0, None, fallbacks)
    expected = reference.outputs(sample)
    classifier = hasattr(pipeline, "classes_")
    for path, build in _candidates(pipeline, compiled_dir):
        try:
            candidate = build()
        except _NotApplicableError as exc:
            fallbacks[path] = str(exc)
            continue
        except Exception as exc:  # a converter that breaks on this model: one more fallback
            fallbacks[path] = f"could not be built: {type(exc).__name__}: {exc}"
            continue
        problem, difference = _disagreement(candidate, sample, expected, classifier)
        if problem is None:
            return candidate, ExecutionReport(path, sample.size, difference, fallbacks)
        fallbacks[path] = problem
    return reference, ExecutionReport("scikit-learn", sample.size, 0.0, fallbacks)


class _NotApplicableError(Exception):
    """The candidate cannot be built for this pipeline (the message says why)."""


def _candidates(
    pipeline: Any, compiled_dir: Path | None
) -> list[tuple[str, Callable[[], Execution]]]:
    estimator = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline

    def preprocessing() -> CompiledPreprocessing:
        compiled = CompiledPreprocessing.compile(pipeline)
        if compiled is None:
            raise _NotApplicableError("the preprocessing steps are not the trainer's")
        return compiled

    def with_trees(load: Callable[[], CompiledTrees | InterpretedTrees]) -> Execution:
        steps = preprocessing()
        try:
            trees = load()
        except TreesUnavailableError as exc:
            raise _NotApplicableError(str(exc)) from exc
        if trees.num_features != steps.width:
            raise _NotApplicableError("the tree predictor expects another feature count")
        return PreprocessedExecution(steps, trees.predict_proba)

    def compiled() -> Execution:
        if compiled_dir is None:
            raise _NotApplicableError("the version has no compiled predictor (older trainer)")
        directory, classes = compiled_dir, [str(c) for c in pipeline.classes_]
        return with_trees(lambda: CompiledTrees.load(directory, classes))

    def interpreted() -> Execution:
        return with_trees(lambda: InterpretedTrees.of(estimator))

    def numpy_preprocessing() -> Execution:
        return PreprocessedExecution(preprocessing(), estimator_outputs(estimator))

    return [
        ("compiled", compiled),
        ("treelite-gtil", interpreted),
        ("numpy-preprocessing", numpy_preprocessing),
    ]


def _disagreement(
    candidate: Execution, sample: Batch, expected: np.ndarray, classifier: bool
) -> tuple[str | None, float]:
    try:
        got = candidate.outputs(sample)
    except Exception as exc:  # a candidate that cannot even run is one more reason to fall back
        return f"failed on the sample: {type(exc).__name__}: {exc}", float("nan")
    if got.shape != expected.shape:
        return f"answered shape {got.shape}, scikit-learn {expected.shape}", float("nan")
    difference = float(np.max(np.abs(got - expected))) if got.size else 0.0
    if classifier:
        labels = int(np.sum(got.argmax(axis=1) != expected.argmax(axis=1)))
        if labels:
            return f"{labels} of {sample.size} sample labels differ from scikit-learn", difference
    if not difference <= TOLERANCE:  # NaN included
        return f"outputs differ by up to {difference:.2e} (> {TOLERANCE:g})", difference
    return None, difference
