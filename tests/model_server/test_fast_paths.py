"""A version trained where no C compiler is (as in the trainer's image) is served through
Treelite's interpreter, verified at load, with the reason visible in ``/v1/model``, the log and
the ``execution`` metric, and predicts exactly what its pipeline predicts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess
from modelfleet.common.wire import PredictResponse
from modelfleet.model_server.execution import TOLERANCE
from tests.conftest import train_version
from tests.model_server.conftest import StartServer, records, verified_execution

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def version_without_compiler(
    mlflow_server: ManagedProcess, gaming_training_csv: Path
) -> dict[str, str]:
    """A random forest trained with no ``gcc`` on PATH: no compiled predictor in its run."""
    path = os.environ["PATH"]
    no_gcc = [d for d in path.split(os.pathsep) if d and not (Path(d) / "gcc").exists()]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", os.pathsep.join(no_gcc))
        return train_version(
            mlflow_server,
            gaming_training_csv,
            "engagement-no-compiler",
            "rf",
            {"n_estimators": 30, "n_jobs": 1},
        )


def test_a_version_trained_without_a_compiler_is_interpreted_by_treelite(
    version_without_compiler: dict[str, str],
    start_server: StartServer,
    gaming_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    server = start_server(
        version_without_compiler, state_dir=tmp_path / "state", MODELFLEET_LOG_LEVEL="INFO"
    )
    execution = verified_execution(server, "treelite-gtil")
    assert "no C compiler" in execution.fallbacks["compiled"]
    metrics = httpx.get(server.url + "/metrics").text
    assert 'modelfleet_model_execution{path="treelite-gtil"} 1.0' in metrics
    assert 'modelfleet_model_execution{path="compiled"} 0.0' in metrics
    assert "through treelite-gtil (not compiled: " in server.log_path.read_text()

    sample = gaming_rows.sample(200, random_state=5)
    answer = httpx.post(server.url + "/v1/predict", json={"records": records(sample)})
    assert answer.status_code == 200, answer.text
    got = PredictResponse.model_validate(answer.json()).predictions
    pipeline = _pipeline(version_without_compiler)
    classes = [str(c) for c in pipeline.classes_]
    assert [p.prediction for p in got] == list(pipeline.predict(sample))
    probabilities = np.array([[p.probabilities[c] for c in classes] for p in got])
    np.testing.assert_allclose(
        probabilities, pipeline.predict_proba(sample), rtol=0, atol=TOLERANCE
    )


def _pipeline(version: dict[str, str]) -> Any:
    import mlflow.sklearn

    mlflow.set_tracking_uri(version["tracking_uri"])
    return mlflow.sklearn.load_model(f"models:/{version['name']}/{version['version']}")
