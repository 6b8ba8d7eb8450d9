"""Register a fitted model as a new ``candidate`` version of its registered model."""

from __future__ import annotations

from importlib.metadata import version as package_version

import mlflow.sklearn
import skops.io
from mlflow import MlflowClient
from mlflow.models import infer_signature

from modelfleet.common import model_contract as contract
from modelfleet.common.wire import TrainRequest
from modelfleet.trainer.training.fitting import Fitted


def register(request: TrainRequest, fitted: Fitted, client: MlflowClient) -> str:
    """Log the model into the active run, register it and tag it; returns the new version."""
    pipeline = fitted.pipeline
    example = fitted.x_train.head(5)
    signature = infer_signature(example, pipeline.predict(example))
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    info = mlflow.sklearn.log_model(
        pipeline,
        name=contract.MODEL_ARTIFACT_PATH,
        signature=signature,
        input_example=example,
        registered_model_name=request.model_name,
        skops_trusted_types=trusted,
        pip_requirements=model_requirements(),
    )
    version = str(info.registered_model_version)
    digest = fitted.data.digest
    client.set_model_version_tag(request.model_name, version, contract.TAG_CANDIDATE, "true")
    client.set_model_version_tag(request.model_name, version, contract.TAG_DATASET_DIGEST, digest)
    if request.description:
        client.update_model_version(request.model_name, version, request.description)
    return version


def model_requirements() -> list[str]:
    """Exactly what loading the model needs, rather than MLflow's export of the whole workspace."""
    return [
        f"{dist}=={package_version(dist)}"
        for dist in ("scikit-learn", "skops", "pandas", "numpy", "mlflow-skinny")
    ]
