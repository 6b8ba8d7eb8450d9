"""The model-server's ``/metrics``, read with prometheus_client's parser: per model version."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest
import tritonclient.grpc as grpcclient
from prometheus_client.parser import text_string_to_metric_families

from modelfleet.cli.processes import ManagedProcess
from tests.model_server.conftest import records

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(server: ManagedProcess) -> Samples:
    text = httpx.get(server.url + "/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_prediction_metrics_carry_model_and_version(
    served: ManagedProcess,
    served_grpc_port: int,
    registered_model: dict[str, str],
    gaming_rows: pd.DataFrame,
) -> None:
    model = {"model": registered_model["name"], "version": registered_model["version"]}
    sample = gaming_rows.sample(9, random_state=2).reset_index(drop=True)

    def value(samples: Samples, name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted({**model, **labels}.items()))), 0.0)

    before = scrape(served)
    assert httpx.post(served.url + "/v1/predict", json={"records": records(sample)}).is_success
    inputs = []
    for name in sample.columns:  # and once over gRPC: the same data plane counts it
        column = sample[name]
        datatype = "BYTES" if column.dtype == object else "FP64"
        tensor = grpcclient.InferInput(name, [len(sample)], datatype)
        tensor.set_data_from_numpy(
            column.to_numpy(dtype=np.object_ if datatype == "BYTES" else np.float64)
        )
        inputs.append(tensor)
    grpcclient.InferenceServerClient(f"127.0.0.1:{served_grpc_port}").infer(model["model"], inputs)
    after = scrape(served)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("modelfleet_rows_predicted_total", source="online") == 2 * len(sample)
    assert delta("modelfleet_inference_duration_seconds_count", outcome="success") == 2
    assert delta("modelfleet_inference_duration_seconds_sum", outcome="success") > 0
    assert delta("modelfleet_batch_rows_sum") == 2 * len(sample)
    classes = [
        key
        for key in after
        if key[0] == "modelfleet_predicted_class_total" and model.items() <= dict(key[1]).items()
    ]
    assert sum(after[k] - before.get(k, 0.0) for k in classes) == 2 * len(sample)
    assert value(after, "modelfleet_last_inference_timestamp_seconds") > 0
    http = (
        "modelfleet_http_requests_total",
        (
            ("endpoint", "/v1/predict"),
            ("method", "POST"),
            ("service", "model-server"),
            ("status", "200"),
        ),
    )
    assert after[http] - before.get(http, 0.0) == 1
