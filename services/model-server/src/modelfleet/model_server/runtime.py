"""The model runtime: load one registered version from MLflow, describe it, predict with it."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelfleet.common import model_contract as contract
from modelfleet.common.errors import NotFoundError
from modelfleet.common.mlflow_registry import (
    ModelRef,
    VersionInfo,
    download_artifact,
    read_json_artifact,
    version_info,
)
from modelfleet.model_server import execution
from modelfleet.model_server.execution import Execution, ExecutionReport, PredictCost
from modelfleet.model_server.schema import Batch, Column, InputSchema

logger = logging.getLogger(__name__)

COST_ROWS = 256
"""Rows of the call whose time, with a one-row call's, gives the serving path's cost per row."""


@dataclass
class Prediction:
    """Labels and class probabilities for a batch, row by row."""

    labels: list[str]
    probabilities: np.ndarray


@dataclass
class LoadedModel:
    """One registered version, loaded and ready to predict."""

    info: VersionInfo
    pipeline: Any
    schema: InputSchema
    classes: list[str]
    execution: Execution
    execution_report: ExecutionReport
    input_example: list[dict[str, Any]] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)
    cost: PredictCost | None = None
    """What a call of the serving path costs here, measured at load (None: not measured)."""

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def target(self) -> str | None:
        return self.info.run_tags.get(contract.TAG_TARGET) or self.info.params.get("target")

    def categories(self) -> dict[str, list[str]]:
        """Known categories per string column (from the fitted one-hot encoder), for forms."""
        found: dict[str, list[str]] = {}
        preprocess = getattr(self.pipeline, "steps", [[None, None]])[0][1]
        for _name, transformer, columns in getattr(preprocess, "transformers_", []):
            encoder = transformer.steps[-1][1] if hasattr(transformer, "steps") else transformer
            for column, cats in zip(columns, getattr(encoder, "categories_", []), strict=False):
                found[str(column)] = [str(c) for c in cats]
        return found

    def predict(self, batch: Batch) -> Prediction:
        """Probabilities for every row and the most probable class as the label."""
        proba = self.execution.outputs(batch)
        classes = self.classes
        return Prediction([classes[i] for i in proba.argmax(axis=1)], proba)


def load(
    ref: ModelRef,
    tracking_uri: str,
    *,
    unknown: str = "reject",
    max_rows: int = 10_000,
    compiled: bool = True,
    verify_rows: int = 2_000,
) -> LoadedModel:
    """Resolve ``ref``, download the model through the tracking server, verify and warm it."""
    import mlflow.artifacts
    import mlflow.sklearn
    from mlflow import MlflowClient
    from mlflow.models import Model

    client = MlflowClient(tracking_uri)
    info = version_info(client, ref)
    with tempfile.TemporaryDirectory(prefix="modelfleet-model-") as tmp:
        # the concrete location through this client: a ``models:/`` URI would be resolved
        # against MLflow's process-wide default registry instead of ``tracking_uri``
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=client.get_model_version_download_uri(info.name, info.version),
            dst_path=tmp,
            tracking_uri=tracking_uri,
        )
        pipeline = mlflow.sklearn.load_model(local)
        mlmodel = Model.load(local)
        example = mlmodel.load_input_example(local)
        extra = Path(tmp) / "extra"
        importances = _importances(client, info.run_id, extra)
        schema = InputSchema(
            _signature_columns(mlmodel, pipeline),
            unknown="ignore" if unknown == "ignore" else "reject",
            max_rows=max_rows,
        )
        records: list[dict[Any, Any]] = (
            example.to_dict(orient="records") if isinstance(example, pd.DataFrame) else []
        )
        input_example = [{k: _plain(v) for k, v in row.items()} for row in records]
        sample = _verification_sample(
            client, info.run_id, schema, input_example, extra, verify_rows
        )
        chosen, report = execution.choose(
            pipeline, schema, sample, _compiled_dir(client, info.run_id, extra), enabled=compiled
        )
    model = LoadedModel(
        info=info,
        pipeline=pipeline,
        schema=schema,
        classes=[str(c) for c in pipeline.classes_],
        execution=chosen,
        execution_report=report,
        input_example=input_example,
        importances=importances,
    )
    warm_up(model)
    if sample is not None and sample.size:
        one, many = (_head(sample, n) for n in (1, COST_ROWS))
        model.cost = PredictCost.measure(chosen, one, many)
    return model


def _importances(client: Any, run_id: str, dst: Path) -> dict[str, float]:
    try:
        importance = read_json_artifact(client, run_id, contract.FEATURE_IMPORTANCE_ARTIFACT, dst)
        return {str(k): float(v) for k, v in importance["importances"].items()}
    except (NotFoundError, KeyError, TypeError, ValueError):
        return {}


def _compiled_dir(client: Any, run_id: str, dst: Path) -> Path | None:
    """The run's ``compiled/`` artifacts (loaded before ``dst`` is removed), or None."""
    try:
        return download_artifact(client, run_id, contract.COMPILED_DIR, dst)
    except NotFoundError:
        return None


def _verification_sample(
    client: Any,
    run_id: str,
    schema: InputSchema,
    example: list[dict[str, Any]],
    dst: Path,
    rows: int,
) -> Batch | None:
    """Reference-sample rows (up to ``rows``) plus the input example, as a batch."""
    records = [dict(r) for r in example]
    try:
        path = download_artifact(client, run_id, contract.REFERENCE_ARTIFACT, dst)
        frame = pd.read_parquet(path, columns=list(schema.names)).head(rows)
        records += [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    except (NotFoundError, KeyError, ValueError, OSError):
        pass
    if not records:
        return None
    unbounded = InputSchema(schema.columns, unknown="ignore", max_rows=len(records))
    return unbounded.from_records(records, coerce=True)


def _head(batch: Batch, n: int) -> Batch:
    if n >= batch.size:
        return batch
    return Batch({name: values[:n] for name, values in batch.values.items()}, n)


def warm_up(model: LoadedModel) -> None:
    """One prediction on the input example, so the first caller does not pay for lazy setup."""
    if model.input_example:
        model.predict(model.schema.from_records([dict(r) for r in model.input_example]))


def _signature_columns(mlmodel: Any, pipeline: Any) -> list[Column]:
    signature = mlmodel.signature
    inputs = signature.inputs if signature is not None else None
    if inputs is not None and inputs.has_input_names():
        return [
            Column(spec.name, str(spec.type.name), getattr(spec, "required", True))
            for spec in inputs.inputs
        ]
    names = getattr(pipeline, "feature_names_in_", None)
    if names is None:
        raise NotFoundError("the model has neither a column signature nor feature names")
    return [Column(str(name), "double") for name in names]


def _plain(value: Any) -> Any:
    """numpy scalars and NaN from the example frame as JSON-friendly Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
