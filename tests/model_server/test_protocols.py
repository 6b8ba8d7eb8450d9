"""MLflow ``/invocations``, Open Inference v2 and the form page on a real server."""

from __future__ import annotations

import re
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from modelfleet.cli.processes import ManagedProcess
from modelfleet.model_server.execution import TOLERANCE
from tests.model_server.conftest import records

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sample(gaming_rows: pd.DataFrame) -> pd.DataFrame:
    return gaming_rows.sample(12, random_state=7).reset_index(drop=True)


@pytest.fixture(scope="module")
def expected(sample: pd.DataFrame, reference_pipeline: Any) -> list[str]:
    return [str(label) for label in reference_pipeline.predict(sample)]


@pytest.mark.parametrize(
    "body_of",
    [
        pytest.param(
            lambda f: {"dataframe_split": {"columns": list(f.columns), "data": f.values.tolist()}},
            id="dataframe_split",
        ),
        pytest.param(lambda f: {"dataframe_records": records(f)}, id="dataframe_records"),
        pytest.param(lambda f: {"instances": records(f)}, id="instances"),
        pytest.param(lambda f: {"inputs": f.to_dict(orient="list")}, id="inputs-columnar"),
    ],
)
def test_invocations_json_formats(
    served: ManagedProcess, sample: pd.DataFrame, expected: list[str], body_of: Any
) -> None:
    response = httpx.post(served.url + "/invocations", json=body_of(sample))
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}


def test_invocations_csv(served: ManagedProcess, sample: pd.DataFrame, expected: list[str]) -> None:
    response = httpx.post(
        served.url + "/invocations",
        content=sample.to_csv(index=False),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}


def test_invocations_csv_bad_value_names_the_line(
    served: ManagedProcess, sample: pd.DataFrame
) -> None:
    text = sample.head(3).to_csv(index=False).splitlines()
    cells = text[2].split(",")
    cells[list(sample.columns).index("Age")] = "old"
    text[2] = ",".join(cells)
    response = httpx.post(
        served.url + "/invocations", content="\n".join(text), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert "CSV line 3" in message and "'Age'" in message


def test_invocations_rejects_two_formats_and_unknown_media(
    served: ManagedProcess, sample: pd.DataFrame
) -> None:
    both = {"dataframe_records": records(sample), "instances": records(sample)}
    response = httpx.post(served.url + "/invocations", json=both)
    assert response.status_code == 400 and "exactly one" in response.json()["message"]
    assert response.json()["error_code"] == "BAD_REQUEST"
    response = httpx.post(
        served.url + "/invocations", content=b"x", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415 and "text/plain" in response.json()["message"]


def test_v2_health_and_metadata(served: ManagedProcess, registered_model: dict[str, str]) -> None:
    name, version = registered_model["name"], registered_model["version"]
    assert httpx.get(served.url + "/v2/health/live").json() == {"live": True}
    assert httpx.get(served.url + "/v2/health/ready").json() == {"ready": True}
    assert httpx.get(served.url + f"/v2/models/{name}/ready").json()["ready"] is True
    meta = httpx.get(served.url + f"/v2/models/{name}/versions/{version}").json()
    assert meta["name"] == name and meta["versions"] == [version]
    inputs = {i["name"]: (i["datatype"], i["shape"]) for i in meta["inputs"]}
    assert inputs["Age"] == ("INT64", [-1])
    assert inputs["PlayTimeHours"] == ("FP64", [-1])
    assert inputs["Gender"] == ("BYTES", [-1])
    assert {o["name"] for o in meta["outputs"]} == {"label", "probabilities"}
    assert httpx.get(served.url + f"/v2/models/{name}/versions/99").status_code == 404
    assert httpx.get(served.url + "/v2/models/other-model").status_code == 404


def v2_inputs(frame: pd.DataFrame) -> list[dict[str, Any]]:
    tensors = []
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object:
            datatype, data = "BYTES", values.tolist()
        elif np.issubdtype(values.dtype, np.integer):
            datatype, data = "INT64", values.astype(int).tolist()
        else:
            datatype, data = "FP64", values.astype(float).tolist()
        tensors.append({"name": column, "datatype": datatype, "shape": [len(frame)], "data": data})
    return tensors


def test_v2_infer_matches_pipeline(
    served: ManagedProcess,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
    expected: list[str],
    reference_pipeline: Any,
) -> None:
    name, version = registered_model["name"], registered_model["version"]
    body = {"id": "req-42", "inputs": v2_inputs(sample)}
    response = httpx.post(served.url + f"/v2/models/{name}/versions/{version}/infer", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["id"] == "req-42" and answer["model_version"] == version
    outputs = {o["name"]: o for o in answer["outputs"]}
    assert outputs["label"]["data"] == expected
    assert outputs["probabilities"]["shape"] == [len(sample), 3]
    np.testing.assert_allclose(
        np.array(outputs["probabilities"]["data"]).reshape(len(sample), 3),
        reference_pipeline.predict_proba(sample),
        rtol=0,
        atol=TOLERANCE,
    )
    only_label = {**body, "outputs": [{"name": "label"}]}
    response = httpx.post(served.url + f"/v2/models/{name}/infer", json=only_label)
    assert [o["name"] for o in response.json()["outputs"]] == ["label"]


def test_v2_infer_wrong_datatype_and_shape(
    served: ManagedProcess, registered_model: dict[str, str], sample: pd.DataFrame
) -> None:
    url = served.url + f"/v2/models/{registered_model['name']}/infer"
    tensors = v2_inputs(sample)
    gender = next(t for t in tensors if t["name"] == "Gender")
    gender["datatype"] = "FP64"
    response = httpx.post(url, json={"inputs": tensors})
    assert response.status_code == 400 and "'Gender'" in response.json()["error"]
    tensors = v2_inputs(sample)
    tensors[0]["shape"] = [len(sample) + 1]
    response = httpx.post(url, json={"inputs": tensors})
    assert response.status_code == 400 and "shape" in response.json()["error"]


def test_form_page_predicts(
    served: ManagedProcess, sample: pd.DataFrame, expected: list[str]
) -> None:
    page = httpx.get(served.url + "/", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for column in sample.columns:
        assert f'name="{column}"' in page.text
    assert "<option" in page.text  # categorical columns offer the known categories
    row = {k: str(v) for k, v in records(sample.head(1))[0].items()}
    answer = httpx.post(served.url + "/", data=row)
    assert answer.status_code == 200
    shown = re.search(r'id="prediction">([^<]+)<', answer.text)
    assert shown is not None and shown.group(1) == expected[0]
    assert re.search(r'id="probability">\d+\.\d%<', answer.text)
    row["Age"] = "very old"
    refused = httpx.post(served.url + "/", data=row)
    assert refused.status_code == 422 and "Age" in refused.text and "Cannot predict" in refused.text
