"""How a loaded version predicts: the fastest path that agrees with scikit-learn on real rows.

Candidates, fastest first: ``compiled`` (the numpy preprocessing in front of the tree predictor
the trainer compiled), ``numpy-preprocessing`` (the numpy preprocessing in front of the fitted
scikit-learn estimator) and ``scikit-learn`` (the pipeline itself, the reference). A candidate
serves only after it agreed with the pipeline on the version's reference sample and input
example: identical labels and probabilities within :data:`TOLERANCE`. Why each faster candidate
did not serve is kept in the :class:`ExecutionReport` (``/v1/model``, the log, a metric).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from modelfleet.model_server.preprocessing import CompiledPreprocessing
from modelfleet.model_server.schema import Batch, InputSchema
from modelfleet.model_server.trees import CompiledTrees, TreesUnavailableError

TOLERANCE = 1e-9
"""Largest probability difference to scikit-learn a faster path may show on the sample. Both
paths compute in float64 from the same fitted values, so in practice they differ by ~1e-15."""

PATHS = ("compiled", "numpy-preprocessing", "scikit-learn")


class Execution(Protocol):
    """Class probabilities of a validated batch, columns in the model's class order."""

    def predict_proba(self, batch: Batch) -> np.ndarray: ...


@dataclass
class PipelineExecution:
    """The scikit-learn pipeline on a DataFrame: always correct, slow on small batches."""

    pipeline: Any
    schema: InputSchema

    def predict_proba(self, batch: Batch) -> np.ndarray:
        data = {
            name: (
                np.array(values, dtype=np.float64)
                if name in self.schema.numeric
                else np.array([np.nan if v is None else v for v in values], dtype=object)
            )
            for name, values in batch.values.items()
        }
        frame = pd.DataFrame(data, columns=self.schema.names)
        return np.asarray(self.pipeline.predict_proba(frame))


@dataclass
class PreprocessedExecution:
    """Numpy preprocessing, then an estimator that takes the transformed matrix."""

    preprocessing: CompiledPreprocessing
    estimator: Any

    def predict_proba(self, batch: Batch) -> np.ndarray:
        matrix = self.preprocessing.transform(batch.values, batch.size)
        return np.asarray(self.estimator.predict_proba(matrix))


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
    if not enabled:
        fallbacks = dict.fromkeys(PATHS[:2], "switched off (MODELFLEET_COMPILED=false)")
        return reference, ExecutionReport("scikit-learn", 0, None, fallbacks)
    if sample is None or sample.size == 0:
        fallbacks = dict.fromkeys(PATHS[:2], "no reference sample or input example to verify on")
        return reference, ExecutionReport("scikit-learn", 0, None, fallbacks)
    expected = reference.predict_proba(sample)
    for path, build in _candidates(pipeline, compiled_dir):
        try:
            candidate = build()
        except _NotApplicableError as exc:
            fallbacks[path] = str(exc)
            continue
        problem, difference = _disagreement(candidate, sample, expected)
        if problem is None:
            return candidate, ExecutionReport(path, sample.size, difference, fallbacks)
        fallbacks[path] = problem
    return reference, ExecutionReport("scikit-learn", sample.size, 0.0, fallbacks)


class _NotApplicableError(Exception):
    """The candidate cannot be built for this pipeline (the message says why)."""


def _candidates(
    pipeline: Any, compiled_dir: Path | None
) -> list[tuple[str, Callable[[], Execution]]]:
    def preprocessing() -> CompiledPreprocessing:
        compiled = CompiledPreprocessing.compile(pipeline)
        if compiled is None:
            raise _NotApplicableError("the preprocessing steps are not the trainer's")
        return compiled

    def compiled() -> Execution:
        if compiled_dir is None:
            raise _NotApplicableError("the version has no compiled predictor (older trainer)")
        steps = preprocessing()
        classes = [str(c) for c in pipeline.classes_]
        try:
            trees = CompiledTrees.load(compiled_dir, classes)
        except TreesUnavailableError as exc:
            raise _NotApplicableError(str(exc)) from exc
        if trees.num_features != steps.width:
            raise _NotApplicableError("the compiled predictor expects another feature count")
        return PreprocessedExecution(steps, trees)

    def numpy_preprocessing() -> Execution:
        return PreprocessedExecution(preprocessing(), pipeline.steps[-1][1])

    return [("compiled", compiled), ("numpy-preprocessing", numpy_preprocessing)]


def _disagreement(
    candidate: Execution, sample: Batch, expected: np.ndarray
) -> tuple[str | None, float]:
    try:
        got = candidate.predict_proba(sample)
    except Exception as exc:  # a candidate that cannot even run is one more reason to fall back
        return f"failed on the sample: {type(exc).__name__}: {exc}", float("nan")
    if got.shape != expected.shape:
        return f"answered shape {got.shape}, scikit-learn {expected.shape}", float("nan")
    difference = float(np.max(np.abs(got - expected))) if got.size else 0.0
    labels = int(np.sum(got.argmax(axis=1) != expected.argmax(axis=1)))
    if labels:
        return f"{labels} of {sample.size} sample labels differ from scikit-learn", difference
    if difference > TOLERANCE:
        return f"probabilities differ by up to {difference:.2e} (> {TOLERANCE:g})", difference
    return None, difference
