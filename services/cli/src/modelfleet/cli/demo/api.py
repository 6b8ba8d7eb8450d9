"""The demo talks to the fleet only over HTTP, as any client would; these are its calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from modelfleet.common.errors import ModelfleetError
from modelfleet.common.http_client import ServiceClient
from modelfleet.common.wire import LabelBatch, PredictRequest, PredictResponse


class DemoError(ModelfleetError):
    """A service answered something the demo cannot go on with."""


def _json(response: httpx.Response, what: str) -> Any:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise DemoError(f"{what}: HTTP {response.status_code}: {detail}")
    return response.json()


class FleetApi:
    """Clients of the trainer, collector and drift monitor of one fleet."""

    def __init__(self, trainer: str, collector: str, drift: str, token: str | None = None) -> None:
        self.token = token
        self.trainer = ServiceClient(trainer, token=token, timeout=120)
        self.collector = ServiceClient(collector, token=token, timeout=900)
        self.drift = ServiceClient(drift, token=token, timeout=600)

    # -- trainer ------------------------------------------------------------------------------

    def register_dataset(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a catalog dataset; an existing entry of the same name is reused."""
        response = self.trainer.post("/v1/datasets", json=body)
        if response.status_code == 409:
            return dict(_json(self.trainer.get(f"/v1/datasets/{body['name']}"), "dataset"))
        return dict(_json(response, f"registering dataset {body['name']}"))

    def submit_job(self, body: dict[str, Any]) -> str:
        return str(_json(self.trainer.post("/v1/jobs", json=body), "training job")["job_id"])

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(_json(self.trainer.get(f"/v1/jobs/{job_id}"), f"job {job_id}"))

    def wait_job(
        self, job_id: str, on_status: Callable[[str], None], timeout: float = 900
    ) -> dict[str, Any]:
        """Poll a training job until it succeeds; DemoError when it fails or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            on_status(job["status"])
            if job["status"] == "succeeded":
                return job
            if job["status"] == "failed":
                raise DemoError(f"training job {job_id} failed: {job.get('error')}")
            time.sleep(1.0)
        raise DemoError(f"training job {job_id} did not finish within {timeout:.0f}s")

    def promote(self, model: str) -> tuple[bool, dict[str, Any]]:
        """(True, result) when aliases were set; (False, {"reason": …}) when refused (409)."""
        response = self.trainer.post("/v1/promotions", json={"model_name": model})
        if response.status_code == 409:
            return False, {"reason": response.json().get("detail", response.text)}
        return True, dict(_json(response, "promotion"))

    # -- collector ----------------------------------------------------------------------------

    def evaluate(self, golden: str, targets: list[str]) -> list[dict[str, Any]]:
        body = {"golden": golden, "targets": targets, "wait": True}
        return list(
            _json(self.collector.post("/v1/evaluations", json=body), "evaluation")["outcomes"]
        )

    def evaluations(self, model: str) -> list[dict[str, Any]]:
        response = self.collector.get("/v1/evaluations", params={"model": model})
        return list(_json(response, "evaluations")["evaluations"])

    def evaluation(self, evaluation_id: int) -> dict[str, Any]:
        response = self.collector.get(f"/v1/evaluations/{evaluation_id}")
        return dict(_json(response, f"evaluation {evaluation_id}"))

    def post_labels(self, labels: LabelBatch) -> None:
        response = self.collector.post("/v1/labels", json=labels.model_dump(mode="json"))
        _json(response, "labels")

    # -- drift monitor ------------------------------------------------------------------------

    def drift_run(
        self, model: str, version: str, last: int, timeout: float = 600
    ) -> dict[str, Any]:
        """Start a drift run on the last ``last`` online rows and wait for its verdict."""
        body = {"model": model, "version": version, "last": last}
        run = dict(_json(self.drift.post("/v1/drift/runs", json=body), "drift run"))
        deadline = time.monotonic() + timeout
        while run["status"] == "running":
            if time.monotonic() > deadline:
                raise DemoError(f"drift run {run['id']} still running after {timeout:.0f}s")
            time.sleep(0.5)
            run = self.drift_run_by_id(int(run["id"]))
        return run

    def drift_run_by_id(self, run_id: int) -> dict[str, Any]:
        return dict(_json(self.drift.get(f"/v1/drift/runs/{run_id}"), f"drift run {run_id}"))

    def close(self) -> None:
        for client in (self.trainer, self.collector, self.drift):
            client.close()


def predict(client: httpx.Client, url: str, request: PredictRequest) -> PredictResponse:
    """One ``/v1/predict`` call to a model-server."""
    response = client.post(f"{url}/v1/predict", json=request.model_dump(mode="json"))
    return PredictResponse.model_validate(_json(response, f"predict at {url}"))
