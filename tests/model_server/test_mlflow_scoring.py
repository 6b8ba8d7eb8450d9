"""MLflow's own ``ScoringServerClient`` on its defaults; what ``/invocations`` adapts and counts."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
from prometheus_client.parser import text_string_to_metric_families

from modelfleet.cli.processes import ManagedProcess
from tests.model_server.conftest import StartServer, records

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sample(gaming_rows: pd.DataFrame) -> pd.DataFrame:
    return gaming_rows.sample(10, random_state=21).reset_index(drop=True)


def client_of(server: ManagedProcess) -> ScoringServerClient:
    host, port = server.url.removeprefix("http://").split(":")
    return ScoringServerClient(host, int(port))


def test_scoring_client_waits_and_predicts_a_frame_with_missing_values(
    served: ManagedProcess, sample: pd.DataFrame, reference_pipeline: Any
) -> None:
    frame = sample.copy()
    frame.loc[0, "PlayTimeHours"] = np.nan  # the client writes these as bare NaN
    frame.loc[1, "Location"] = np.nan
    frame.loc[2, "GameDifficulty"] = None
    client = client_of(served)
    client.wait_server_ready(timeout=30)
    assert client.get_version()
    predictions = client.invoke(frame).get_predictions(predictions_format="ndarray")
    assert list(predictions) == [str(p) for p in reference_pipeline.predict(frame)]


def test_errors_are_mlflows_shape(served: ManagedProcess, sample: pd.DataFrame) -> None:
    response = httpx.post(
        served.url + "/invocations", json={"dataframe_records": records(sample.drop(columns="Age"))}
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "BAD_REQUEST" and "Age" in response.json()["message"]
    assert httpx.get(served.url + "/ping").status_code == 200
    assert httpx.get(served.url + "/health").status_code == 200


def adapted(server: ManagedProcess) -> dict[str, float]:
    families = text_string_to_metric_families(httpx.get(server.url + "/metrics").text)
    family = next(f for f in families if f.name == "modelfleet_invocations_adapted")
    return {s.labels["adaptation"]: s.value for s in family.samples if s.name.endswith("_total")}


def test_what_mlflow_accepts_is_adapted_named_and_counted(
    served: ManagedProcess, sample: pd.DataFrame, reference_pipeline: Any
) -> None:
    expected = [str(p) for p in reference_pipeline.predict(sample)]
    before = adapted(served)
    frame = sample.astype(object).assign(Shoe=42)
    frame["Age"] = frame["Age"].astype(str)
    response = httpx.post(served.url + "/invocations", json={"dataframe_records": records(frame)})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}
    assert response.headers["x-modelfleet-ignored-columns"] == "Shoe"
    assert response.headers["x-modelfleet-converted-columns"] == "Age"
    csv = httpx.post(
        served.url + "/invocations",
        content=sample.to_csv(),  # pandas' default: an unnamed index column first
        headers={"content-type": "text/csv"},
    )
    assert csv.status_code == 200 and csv.json() == {"predictions": expected}
    assert csv.headers["x-modelfleet-ignored-columns"] == "(index)"
    scalar = httpx.post(served.url + "/invocations", json={"inputs": records(sample.head(1))[0]})
    assert scalar.status_code == 200 and scalar.json() == {"predictions": expected[:1]}
    after = adapted(served)
    for kind in ("extra_columns", "numeric_strings", "index_column", "scalar_inputs"):
        assert after[kind] - before.get(kind, 0) == 1, kind


def test_strict_mode_refuses_what_it_would_adapt(
    registered_model: dict[str, str],
    start_server: StartServer,
    tmp_path_factory: pytest.TempPathFactory,
    sample: pd.DataFrame,
) -> None:
    server = start_server(
        registered_model,
        state_dir=tmp_path_factory.mktemp("strict"),
        MODELFLEET_INVOCATIONS_INPUT="strict",
    )
    extra = httpx.post(
        server.url + "/invocations", json={"dataframe_records": records(sample.assign(Shoe=1))}
    )
    assert extra.status_code == 400 and "Shoe" in extra.json()["message"]
    index = httpx.post(
        server.url + "/invocations", content=sample.to_csv(), headers={"content-type": "text/csv"}
    )
    assert index.status_code == 400 and "unknown column" in index.json()["message"]
    text = records(sample.head(1))[0]
    number = httpx.post(
        server.url + "/invocations", json={"dataframe_records": [{**text, "Age": "30"}]}
    )
    assert number.status_code == 400 and "'Age'" in number.json()["message"]
