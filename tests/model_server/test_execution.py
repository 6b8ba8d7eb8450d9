"""Execution paths of a loaded version: each faster path equals scikit-learn or does not serve.

The compiled tree predictor is built exactly as the trainer builds it (``export_predictor``);
Treelite's interpreter needs nothing from the trainer; both are chosen by the same gate the
server runs at load (``execution.choose``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from modelfleet.common.datasets.loading import load_dataset
from modelfleet.model_server import execution
from modelfleet.model_server.execution import PipelineExecution, PreprocessedExecution
from modelfleet.model_server.preprocessing import CompiledPreprocessing
from modelfleet.model_server.schema import Batch, Column, InputSchema
from modelfleet.trainer.pipeline import build_pipeline
from modelfleet.trainer.training.compiling import export_predictor
from tests.model_server.conftest import records

# n_jobs=1: a parallel forest sums its trees in thread order, so even scikit-learn differs from
# itself in the last bit between calls. Small forests keep gcc's compile time short.
MODELS = {
    "hgb": {"max_iter": 30},
    "gbm": {"n_estimators": 30},
    "rf": {"n_estimators": 20, "n_jobs": 1, "min_samples_leaf": 20},
    "logreg": {},
}


def fitted(path: Path, target: str, model_type: str, params: dict[str, Any]) -> tuple[Any, Any]:
    data = load_dataset(path, target)
    x, y = data.features, data.labels
    fit_rows = x.sample(min(len(x), 6000), random_state=1).index
    pipeline = build_pipeline(model_type, params, data.numeric_columns, data.categorical_columns)
    pipeline.fit(x.loc[fit_rows], y.loc[fit_rows])
    return pipeline, x


def schema_of(x: pd.DataFrame) -> InputSchema:
    columns = [
        Column(str(c), "double" if pd.api.types.is_numeric_dtype(x[c]) else "string")
        for c in x.columns
    ]
    return InputSchema(columns, max_rows=len(x))


def with_gaps(x: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Real rows plus missing values and never-seen categories, as callers send them."""
    rng = np.random.default_rng(seed)
    out = x.copy().astype(object)
    for column in out.columns:
        out.loc[rng.random(len(out)) < 0.05, column] = None
        if not pd.api.types.is_numeric_dtype(x[column]):
            out.loc[rng.random(len(out)) < 0.03, column] = "never-seen"
    return out


def batch_of(frame: pd.DataFrame, schema: InputSchema) -> Batch:
    return schema.from_records(records(frame))


def sklearn_frame(frame: pd.DataFrame, schema: InputSchema) -> pd.DataFrame:
    out = frame.copy()
    for column in frame.columns:
        if column in schema.numeric:
            out[column] = pd.to_numeric(frame[column]).astype(float)
        else:
            out[column] = frame[column].where(frame[column].notna(), np.nan)
    return out


def test_numpy_preprocessing_is_bit_identical(datasets_dir: Path) -> None:
    for model_type in ("hgb", "logreg"):
        pipeline, x = fitted(
            datasets_dir / "online_gaming_behavior.csv", "EngagementLevel", model_type, {}
        )
        schema = schema_of(x)
        steps = CompiledPreprocessing.compile(pipeline)
        assert steps is not None, "the trainer's pipeline must be recognised"
        for frame in (x.sample(3000, random_state=2), with_gaps(x.head(3000), 3), x.head(1)):
            batch = batch_of(frame, schema)
            np.testing.assert_array_equal(
                steps.transform(batch.values, batch.size),
                pipeline[0].transform(sklearn_frame(frame, schema)),
            )
            np.testing.assert_array_equal(
                PreprocessedExecution(steps, pipeline[-1].predict_proba).outputs(batch),
                pipeline.predict_proba(sklearn_frame(frame, schema)),
            )


def gaming(datasets_dir: Path, model_type: str) -> tuple[Any, pd.DataFrame, InputSchema]:
    """The model type fitted on the real gaming file, its features and their schema."""
    path = datasets_dir / "online_gaming_behavior.csv"
    pipeline, x = fitted(path, "EngagementLevel", model_type, MODELS[model_type])
    return pipeline, x, schema_of(x)


def assert_verified(report: execution.ExecutionReport, rows: int = 2000) -> None:
    assert report.verified_rows == rows
    assert report.max_probability_difference is not None
    assert report.max_probability_difference <= execution.TOLERANCE


def assert_agrees_on_every_row(chosen: execution.Execution, pipeline: Any, x: pd.DataFrame) -> None:
    """All 40,034 rows of the real file: identical labels, probabilities within TOLERANCE."""
    got = chosen.outputs(batch_of(x, schema_of(x)))
    want = pipeline.predict_proba(x)
    assert (got.argmax(axis=1) == want.argmax(axis=1)).all()
    assert float(np.abs(got - want).max()) <= execution.TOLERANCE


@pytest.mark.parametrize("model_type", sorted(MODELS))
def test_every_model_type_gets_its_fastest_path_and_agrees_on_all_rows(
    datasets_dir: Path, model_type: str, tmp_path: Path
) -> None:
    pipeline, x, schema = gaming(datasets_dir, model_type)
    manifest = export_predictor(pipeline[-1], tmp_path / "compiled")
    sample = batch_of(with_gaps(x.head(2000), 4), schema)
    chosen, report = execution.choose(pipeline, schema, sample, tmp_path / "compiled")
    if model_type == "logreg":
        assert not manifest["compiled"] and "not a tree ensemble" in manifest["reason"]
        assert report.path == "numpy-preprocessing"
        assert "not a tree ensemble" in report.fallbacks["compiled"]
        assert "not a tree ensemble" in report.fallbacks["treelite-gtil"]
    else:
        assert manifest["compiled"], manifest
        assert report.path == "compiled", report.fallbacks
    assert_verified(report)
    assert_agrees_on_every_row(chosen, pipeline, x)


@pytest.mark.parametrize("model_type", ["gbm", "hgb", "rf"])
def test_trees_without_a_compiled_predictor_are_interpreted_by_treelite(
    datasets_dir: Path, model_type: str, tmp_path: Path
) -> None:
    """What a version trained in the trainer's image (no C compiler) or too large to compile
    gets: Treelite's interpreter on the estimator, identical to scikit-learn on all rows."""
    pipeline, x, schema = gaming(datasets_dir, model_type)
    manifest = export_predictor(pipeline[-1], tmp_path / "compiled", max_nodes=10)
    assert not manifest["compiled"] and "over the compile limit" in manifest["reason"]
    sample = batch_of(with_gaps(x.head(2000), 5), schema)
    chosen, report = execution.choose(pipeline, schema, sample, tmp_path / "compiled")
    assert report.path == "treelite-gtil", report.fallbacks
    assert "over the compile limit" in report.fallbacks["compiled"]
    assert_verified(report)
    assert_agrees_on_every_row(chosen, pipeline, x)


def test_a_predictor_that_disagrees_is_refused_with_the_reason(
    datasets_dir: Path, tmp_path: Path
) -> None:
    path = datasets_dir / "online_gaming_behavior.csv"
    pipeline, x = fitted(path, "EngagementLevel", "hgb", MODELS["hgb"])
    other, _x = fitted(path, "EngagementLevel", "hgb", {"max_iter": 3})
    schema = schema_of(x)
    compiled, wrong = tmp_path / "compiled", tmp_path / "wrong"
    export_predictor(pipeline[-1], compiled)
    export_predictor(other[-1], wrong)
    manifest = json.loads((compiled / "manifest.json").read_text())
    library = next(iter(manifest["libraries"].values()))
    # a conversion that produced the wrong trees: same shape, other numbers
    (compiled / library).write_bytes((wrong / library).read_bytes())
    sample = batch_of(x.head(500), schema)
    chosen, report = execution.choose(pipeline, schema, sample, compiled)
    assert report.path == "treelite-gtil"
    assert "differ" in report.fallbacks["compiled"], report.fallbacks
    assert report.summary().startswith("treelite-gtil (not compiled: ")
    assert_agrees_on_every_row(chosen, pipeline, x)

    manifest["libraries"] = {"linux-riscv64": "predictor-linux-riscv64.so"}
    (compiled / "manifest.json").write_text(json.dumps(manifest))
    _chosen, report = execution.choose(pipeline, schema, sample, compiled)
    assert "no predictor built for" in report.fallbacks["compiled"]
    assert "linux-riscv64" in report.fallbacks["compiled"]


def test_an_ensemble_treelite_cannot_convert_is_served_by_scikit_learn_with_the_reason(
    datasets_dir: Path, tmp_path: Path
) -> None:
    """Gradient boosting started from a logistic regression: neither Treelite path applies."""
    path = datasets_dir / "online_gaming_behavior.csv"
    params = {"n_estimators": 10, "init": LogisticRegression(max_iter=500)}
    pipeline, x = fitted(path, "EngagementLevel", "gbm", params)
    schema = schema_of(x)
    manifest = export_predictor(pipeline[-1], tmp_path / "compiled")
    chosen, report = execution.choose(
        pipeline, schema, batch_of(x.head(500), schema), tmp_path / "compiled"
    )
    assert report.path == "numpy-preprocessing", report.fallbacks
    assert "init estimator not supported" in report.fallbacks["treelite-gtil"]
    assert "init estimator not supported" in report.fallbacks["compiled"], manifest
    assert_agrees_on_every_row(chosen, pipeline, x)


def test_unrecognised_steps_or_no_sample_serve_the_pipeline() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": ["p", "q", "p", "q"]})
    pipeline = Pipeline(
        [
            ("preprocess", ColumnTransformer([("n", MinMaxScaler(), ["a"])])),
            ("classifier", build_pipeline("logreg", {}, ["a"], []).steps[-1][1]),
        ]
    ).fit(frame[["a"]], frame["y"])
    schema = InputSchema([Column("a", "double")])
    sample = schema.from_records([{"a": 1.5}, {"a": 3.5}])
    chosen, report = execution.choose(pipeline, schema, sample, None)
    assert isinstance(chosen, PipelineExecution) and report.path == "scikit-learn"
    assert "not the trainer's" in report.fallbacks["numpy-preprocessing"]
    assert "not the trainer's" in report.fallbacks["treelite-gtil"]
    assert "no compiled predictor" in report.fallbacks["compiled"]
    _chosen, unverified = execution.choose(pipeline, schema, None, None)
    assert unverified.path == "scikit-learn" and unverified.verified_rows == 0
    _chosen, off = execution.choose(pipeline, schema, sample, None, enabled=False)
    assert "switched off" in off.fallbacks["compiled"]


def test_pokemon_with_real_missing_values(datasets_dir: Path, tmp_path: Path) -> None:
    """Binary: margins through the sigmoid, compiled and interpreted alike."""
    pipeline, x = fitted(datasets_dir / "pokemon.csv", "is_legendary", "hgb", {"max_iter": 30})
    assert x.isna().any().any(), "the data set has real missing values"
    schema = schema_of(x)
    export_predictor(pipeline[-1], tmp_path / "compiled")
    everything = batch_of(x, schema)
    for directory, path in ((tmp_path / "compiled", "compiled"), (None, "treelite-gtil")):
        chosen, report = execution.choose(pipeline, schema, everything, directory)
        assert report.path == path, report.fallbacks
        got = chosen.outputs(everything)
        assert float(np.abs(got - pipeline.predict_proba(x)).max()) <= execution.TOLERANCE
