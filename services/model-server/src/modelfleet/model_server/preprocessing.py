"""The fitted preprocessing of the trainer's pipeline, compiled into numpy operations.

For a one-row request, scikit-learn's ColumnTransformer costs about four of the five milliseconds of
``pipeline.predict_proba``: validation, DataFrame slicing and per-step bookkeeping. The arithmetic
itself is trivial. This module recognises the exact steps the trainer fits (median/mean impute then
StandardScaler for numbers; most-frequent/constant impute then OneHotEncoder for strings), reads
their fitted statistics, and performs the same float64 operations in the same order, so the
estimator receives a bit-identical matrix. Anything it does not recognise returns ``None`` and the
server runs the scikit-learn pipeline instead (see :mod:`modelfleet.model_server.execution`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


@dataclass
class _NumericBlock:
    columns: list[str]
    fill: np.ndarray
    mean: np.ndarray | None
    scale: np.ndarray | None


@dataclass
class _OneHotBlock:
    columns: list[str]
    fill: list[str]
    lookup: list[dict[str, int]]
    width: int


class CompiledPreprocessing:
    """The ColumnTransformer of a recognised pipeline as numpy operations."""

    def __init__(self, blocks: list[_NumericBlock | _OneHotBlock]) -> None:
        self.blocks = blocks
        self.width = sum(
            len(b.columns) if isinstance(b, _NumericBlock) else b.width for b in blocks
        )

    @classmethod
    def compile(cls, pipeline: Any) -> CompiledPreprocessing | None:
        """The compiled first step of ``pipeline``, or None when any step is not recognised."""
        if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
            return None
        preprocess = pipeline.steps[0][1]
        if not isinstance(preprocess, ColumnTransformer):
            return None
        blocks: list[_NumericBlock | _OneHotBlock] = []
        for _name, transformer, columns in preprocess.transformers_:
            if transformer == "drop" or (isinstance(columns, Sequence) and len(columns) == 0):
                continue
            if not _column_names(columns):
                return None
            block = _numeric(transformer, list(columns)) or _onehot(transformer, list(columns))
            if block is None:
                return None
            blocks.append(block)
        return cls(blocks) if blocks else None

    def transform(self, values: dict[str, list[Any]], n: int) -> np.ndarray:
        """The matrix the ColumnTransformer would produce for these rows."""
        out = np.zeros((n, self.width), dtype=np.float64)
        offset = 0
        for block in self.blocks:
            if isinstance(block, _NumericBlock):
                k = len(block.columns)
                x = np.array([values[c] for c in block.columns], dtype=np.float64).T
                missing = np.isnan(x)
                if missing.any():
                    x = np.where(missing, block.fill, x)
                if block.mean is not None:
                    x -= block.mean
                if block.scale is not None:
                    x /= block.scale
                out[:, offset : offset + k] = x
                offset += k
            else:
                for j, column in enumerate(block.columns):
                    lookup, fill = block.lookup[j], block.fill[j]
                    for i, value in enumerate(values[column]):
                        position = lookup.get(fill if value is None else value)
                        if position is not None:
                            out[i, offset + position] = 1.0
                offset += block.width
        return out


def _column_names(columns: Any) -> bool:
    return isinstance(columns, list | tuple | np.ndarray) and all(
        isinstance(c, str) for c in columns
    )


def _steps(transformer: Any) -> list[Any]:
    if isinstance(transformer, Pipeline):
        return [step for _name, step in transformer.steps if step not in (None, "passthrough")]
    return [transformer]


def _plain_imputer(step: Any, strategies: set[str]) -> bool:
    return (
        isinstance(step, SimpleImputer)
        and step.strategy in strategies
        and not step.add_indicator
        and _is_nan(step.missing_values)
    )


def _numeric(transformer: Any, columns: list[str]) -> _NumericBlock | None:
    steps = _steps(transformer)
    if len(steps) != 2 or not _plain_imputer(steps[0], {"median", "mean"}):
        return None
    imputer, scaler = steps
    if not isinstance(scaler, StandardScaler):
        return None
    fill = np.asarray(imputer.statistics_, dtype=np.float64)
    if fill.shape != (len(columns),) or np.isnan(fill).any():
        return None  # an all-missing training column is dropped by SimpleImputer: not modelled
    mean = np.asarray(scaler.mean_, dtype=np.float64) if scaler.with_mean else None
    scale = np.asarray(scaler.scale_, dtype=np.float64) if scaler.with_std else None
    return _NumericBlock(columns, fill, mean, scale)


def _onehot(transformer: Any, columns: list[str]) -> _OneHotBlock | None:
    steps = _steps(transformer)
    if len(steps) != 2 or not _plain_imputer(steps[0], {"most_frequent", "constant"}):
        return None
    imputer, encoder = steps
    if (
        not isinstance(encoder, OneHotEncoder)
        or encoder.handle_unknown != "ignore"
        or encoder.drop is not None
        or getattr(encoder, "_infrequent_enabled", False)
        or getattr(encoder, "sparse_output", False)
    ):
        return None
    fill = [str(v) for v in imputer.statistics_]
    if len(fill) != len(columns) or not all(isinstance(v, str) for v in imputer.statistics_):
        return None
    lookup: list[dict[str, int]] = []
    offset = 0  # positions are relative to the start of this block
    for categories in encoder.categories_:
        if not all(isinstance(c, str) for c in categories):
            return None
        lookup.append({c: offset + i for i, c in enumerate(categories)})
        offset += len(categories)
    return _OneHotBlock(columns, fill, lookup, offset)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value
