"""Triton's own clients (``tritonclient.http`` and ``tritonclient.grpc``) on their default settings
against a real model-server: binary and JSON tensors, compression, the Triton extensions, gRPC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from modelfleet.cli.processes import ManagedProcess
from modelfleet.model_server.execution import TOLERANCE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sample(gaming_rows: pd.DataFrame) -> pd.DataFrame:
    return gaming_rows.sample(25, random_state=3).reset_index(drop=True)


@pytest.fixture(scope="module")
def truth(sample: pd.DataFrame, reference_pipeline: Any) -> tuple[list[str], np.ndarray]:
    labels = [str(label) for label in reference_pipeline.predict(sample)]
    return labels, reference_pipeline.predict_proba(sample)


@pytest.fixture(scope="module")
def http(served: ManagedProcess) -> httpclient.InferenceServerClient:
    return httpclient.InferenceServerClient(url=served.url.removeprefix("http://"))


@pytest.fixture(scope="module")
def grpc(served_grpc_port: int, served: ManagedProcess) -> grpcclient.InferenceServerClient:
    return grpcclient.InferenceServerClient(url=f"127.0.0.1:{served_grpc_port}")


def tensor_of(column: pd.Series) -> tuple[str, np.ndarray]:
    """A frame column as the datatype and array a Triton user would send."""
    if column.dtype == object:
        return "BYTES", column.to_numpy(dtype=np.object_)
    if np.issubdtype(column.dtype, np.integer):
        return "INT64", column.to_numpy(dtype=np.int64)
    return "FP64", column.to_numpy(dtype=np.float64)


def http_inputs(frame: pd.DataFrame, **options: Any) -> list[httpclient.InferInput]:
    inputs = []
    for name in frame.columns:
        datatype, values = tensor_of(frame[name])
        tensor = httpclient.InferInput(name, [len(frame)], datatype)
        tensor.set_data_from_numpy(values, **options)
        inputs.append(tensor)
    return inputs


def grpc_inputs(frame: pd.DataFrame) -> list[grpcclient.InferInput]:
    inputs = []
    for name in frame.columns:
        datatype, values = tensor_of(frame[name])
        tensor = grpcclient.InferInput(name, [len(frame), 1], datatype)
        tensor.set_data_from_numpy(values.reshape(-1, 1))
        inputs.append(tensor)
    return inputs


def assert_agrees(result: Any, truth: tuple[list[str], np.ndarray]) -> None:
    labels, probabilities = truth
    decoded = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("label").ravel()]
    assert decoded == labels
    # the server's compiled path agrees with scikit-learn to TOLERANCE (in practice ~1e-16)
    np.testing.assert_allclose(
        result.as_numpy("probabilities"), probabilities, rtol=0, atol=TOLERANCE
    )


def test_http_health_metadata_and_extensions(
    http: httpclient.InferenceServerClient, registered_model: dict[str, str]
) -> None:
    name, version = registered_model["name"], registered_model["version"]
    assert http.is_server_live() and http.is_server_ready()
    assert http.is_model_ready(name) and http.is_model_ready(name, version)
    assert not http.is_model_ready(name, "99")
    extensions = http.get_server_metadata()["extensions"]
    assert {"binary_tensor_data", "model_configuration", "statistics"} <= set(extensions)
    metadata = http.get_model_metadata(name, version)
    assert metadata["versions"] == [version]
    assert {o["name"] for o in metadata["outputs"]} == {"label", "probabilities"}


def test_http_binary_tensors_by_default(
    http: httpclient.InferenceServerClient,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
    truth: tuple[list[str], np.ndarray],
) -> None:
    """``set_data_from_numpy`` sends binary data and, with no outputs named, asks for binary."""
    result = http.infer(registered_model["name"], http_inputs(sample), request_id="triton-1")
    response = result.get_response()
    assert response["id"] == "triton-1"
    assert all("binary_data_size" in o["parameters"] for o in response["outputs"])
    assert_agrees(result, truth)


def test_http_json_tensors_and_chosen_outputs(
    http: httpclient.InferenceServerClient,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
    truth: tuple[list[str], np.ndarray],
) -> None:
    outputs = [
        httpclient.InferRequestedOutput("label", binary_data=False),
        httpclient.InferRequestedOutput("probabilities", binary_data=True),
    ]
    result = http.infer(
        registered_model["name"], http_inputs(sample, binary_data=False), outputs=outputs
    )
    label, probabilities = result.get_response()["outputs"]
    assert "data" in label and "binary_data_size" in probabilities["parameters"]
    assert_agrees(result, truth)


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_http_compressed_requests(
    http: httpclient.InferenceServerClient,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
    truth: tuple[list[str], np.ndarray],
    algorithm: str,
) -> None:
    result = http.infer(
        registered_model["name"], http_inputs(sample), request_compression_algorithm=algorithm
    )
    assert_agrees(result, truth)


def test_http_triton_extensions(
    http: httpclient.InferenceServerClient,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
) -> None:
    name, version = registered_model["name"], registered_model["version"]
    config = http.get_model_config(name)
    assert config["name"] == name and config["max_batch_size"] == 0
    types = {i["name"]: i["data_type"] for i in config["input"]}
    assert types["Age"] == "TYPE_INT64" and types["Gender"] == "TYPE_STRING"
    assert [o["name"] for o in config["output"]] == ["label", "probabilities"]
    index = http.get_model_repository_index()
    assert index == [{"name": name, "version": version, "state": "READY"}]

    def stats() -> dict[str, Any]:
        found = http.get_inference_statistics(name)["model_stats"]
        assert len(found) == 1 and found[0]["version"] == version
        return found[0]

    before = stats()
    http.infer(name, http_inputs(sample))
    after = stats()
    assert after["inference_count"] - before["inference_count"] == len(sample)
    success = after["inference_stats"]["success"]
    assert success["count"] - before["inference_stats"]["success"]["count"] == 1
    assert success["ns"] > before["inference_stats"]["success"]["ns"]
    assert after["execution_count"] > before["execution_count"]
    assert after["last_inference"] >= before["last_inference"] > 0
    assert http.get_inference_statistics()["model_stats"][0]["name"] == name


def test_http_errors_are_the_protocols(
    http: httpclient.InferenceServerClient,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
) -> None:
    """tritonclient reads ``{"error": …}``: its exception carries our message and status."""
    inputs = http_inputs(sample.drop(columns=["Age"]))
    with pytest.raises(InferenceServerException) as missing:
        http.infer(registered_model["name"], inputs)
    assert missing.value.status() == "400" and "Age" in missing.value.message()
    with pytest.raises(InferenceServerException) as unknown:
        http.get_model_metadata("no-such-model")
    assert unknown.value.status() == "404" and "no-such-model" in unknown.value.message()
    with pytest.raises(InferenceServerException) as control:
        http.unload_model(registered_model["name"])
    assert control.value.status() == "400" and "one version" in control.value.message()


def test_grpc_health_metadata_and_infer(
    grpc: grpcclient.InferenceServerClient,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
    truth: tuple[list[str], np.ndarray],
) -> None:
    name, version = registered_model["name"], registered_model["version"]
    assert grpc.is_server_live() and grpc.is_server_ready()
    assert grpc.is_model_ready(name, version)
    assert "binary_tensor_data" in grpc.get_server_metadata().extensions
    metadata = grpc.get_model_metadata(name)
    assert list(metadata.versions) == [version]
    assert {t.name: t.datatype for t in metadata.inputs}["Gender"] == "BYTES"
    result = grpc.infer(name, grpc_inputs(sample), request_id="grpc-1")
    assert result.get_response().id == "grpc-1"
    assert_agrees(result, truth)


def test_grpc_typed_contents(
    served_grpc_port: int,
    registered_model: dict[str, str],
    sample: pd.DataFrame,
    truth: tuple[list[str], np.ndarray],
) -> None:
    """Inputs in the typed ``contents`` fields, through Triton's own generated stubs."""
    import grpc as grpc_runtime

    request = service_pb2.ModelInferRequest(model_name=registered_model["name"])
    for name in sample.columns:
        datatype, values = tensor_of(sample[name])
        tensor = request.inputs.add(name=name, datatype=datatype, shape=[len(sample)])
        if datatype == "BYTES":
            tensor.contents.bytes_contents.extend(v.encode() for v in values)
        elif datatype == "INT64":
            tensor.contents.int64_contents.extend(values.tolist())
        else:
            tensor.contents.fp64_contents.extend(values.tolist())
    with grpc_runtime.insecure_channel(f"127.0.0.1:{served_grpc_port}") as channel:
        response = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request)
    result = grpcclient.InferResult(response)
    assert_agrees(result, truth)


def test_grpc_errors_are_statuses(
    grpc: grpcclient.InferenceServerClient, registered_model: dict[str, str], sample: pd.DataFrame
) -> None:
    inputs = [i for i in grpc_inputs(sample) if i.name() != "Gender"]
    gender = grpcclient.InferInput("Gender", [len(sample), 1], "FP64")
    gender.set_data_from_numpy(np.zeros((len(sample), 1)))
    with pytest.raises(InferenceServerException) as bad:
        grpc.infer(registered_model["name"], [*inputs, gender])
    assert bad.value.status() == "StatusCode.INVALID_ARGUMENT"
    assert "'Gender'" in bad.value.message() and "BYTES" in bad.value.message()
    with pytest.raises(InferenceServerException) as unknown:
        grpc.get_model_metadata("no-such-model")
    assert unknown.value.status() == "StatusCode.NOT_FOUND"
    with pytest.raises(InferenceServerException) as unimplemented:
        grpc.get_model_config(registered_model["name"])
    assert unimplemented.value.status() == "StatusCode.UNIMPLEMENTED"
