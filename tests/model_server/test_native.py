"""The native protocol against a real MLflow server: ``/readyz``, ``/v1/model``, ``/v1/predict``."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess
from modelfleet.common.wire import ModelInfo, PredictResponse
from modelfleet.model_server.execution import TOLERANCE
from tests.model_server.conftest import records, verified_execution

pytestmark = pytest.mark.integration


def test_ready_and_model_info(served: ManagedProcess, registered_model: dict[str, str]) -> None:
    assert httpx.get(served.url + "/readyz").status_code == 200
    info = ModelInfo.model_validate(httpx.get(served.url + "/v1/model").json())
    assert (info.name, info.version, info.run_id) == (
        registered_model["name"],
        registered_model["version"],
        registered_model["run_id"],
    )
    assert sorted(info.classes) == ["High", "Low", "Medium"]
    assert info.target == "EngagementLevel"
    columns = {c.name: c.type for c in info.input_schema}
    assert columns["Age"] == "long" and columns["Gender"] == "string"
    assert "PlayerID" not in columns
    assert 0 < info.training_metrics["test_accuracy"] <= 1
    assert set(info.feature_importances) <= set(columns) and info.feature_importances
    # the trainer compiled the trees; the server verified them on the reference sample
    verified_execution(served, "compiled")
    metrics = httpx.get(served.url + "/metrics").text
    assert 'modelfleet_model_execution{path="compiled"} 1.0' in metrics
    assert 'modelfleet_model_execution{path="scikit-learn"} 0.0' in metrics


def test_predict_matches_the_registered_pipeline(
    served: ManagedProcess, reference_pipeline: Any, gaming_rows: pd.DataFrame
) -> None:
    sample = gaming_rows.sample(40, random_state=3)
    body = {"records": records(sample), "entity_ids": [f"p{i}" for i in range(len(sample))]}
    response = httpx.post(served.url + "/v1/predict", json=body)
    assert response.status_code == 200, response.text
    answer = PredictResponse.model_validate(response.json())
    assert answer.model_version == "1" and len(answer.request_id) >= 16
    expected = reference_pipeline.predict(sample)
    expected_proba = reference_pipeline.predict_proba(sample)
    classes = [str(c) for c in reference_pipeline.classes_]
    assert [p.prediction for p in answer.predictions] == list(expected)
    assert [p.entity_id for p in answer.predictions] == body["entity_ids"]
    assert [p.row_index for p in answer.predictions] == list(range(len(sample)))
    got = np.array([[p.probabilities[c] for c in classes] for p in answer.predictions])
    # the compiled path agrees with scikit-learn to TOLERANCE (in practice ~1e-16)
    np.testing.assert_allclose(got, expected_proba, rtol=0, atol=TOLERANCE)
