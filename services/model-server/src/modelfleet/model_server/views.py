"""Descriptions of the served model shared by the protocols: ``/v1/model``, v2 metadata, form."""

from __future__ import annotations

from modelfleet.common.wire import InputColumn, ModelInfo
from modelfleet.model_server.runtime import LoadedModel

V2_DATATYPES = {"long": "INT64", "integer": "INT32", "double": "FP64", "float": "FP32"}
"""Open Inference Protocol datatype of each MLflow signature type; anything else is BYTES."""


def model_info(model: LoadedModel) -> ModelInfo:
    return ModelInfo(
        name=model.name,
        version=model.version,
        aliases=model.info.aliases,
        run_id=model.info.run_id,
        classes=model.classes,
        target=model.target,
        input_schema=[
            InputColumn(name=c.name, type=c.type, required=c.required) for c in model.schema.columns
        ],
        training_metrics=model.info.metrics,
        feature_importances=model.importances,
    )


def v2_datatype(mlflow_type: str) -> str:
    return V2_DATATYPES.get(mlflow_type, "BYTES")
