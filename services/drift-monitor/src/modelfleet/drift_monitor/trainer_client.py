"""The trainer's HTTP API as the drift monitor uses it: upload a dataset, submit a job.

Both calls speak the typed contracts of :mod:`modelfleet.common.wire`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from modelfleet.common.errors import UnavailableError, UpstreamError
from modelfleet.common.http_client import ServiceClient
from modelfleet.common.wire import DatasetMeta, JobAccepted, TrainRequest


class TrainerUnavailableError(UnavailableError):
    """The trainer could not be reached or answered 5xx: retry on a later run."""


class TrainerRejectedError(UpstreamError):
    """The trainer refused the request (4xx) or answered outside the contract: retrying the
    same request will not help."""


class TrainerClient:
    """Thin wrapper over ``ServiceClient`` (timeouts, retries with backoff, bearer token)."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def upload_dataset(self, path: Path, meta: DatasetMeta) -> None:
        """``POST /v1/datasets`` (multipart). A dataset of that name already there is fine:
        it is ours from an earlier attempt whose job submission failed."""
        content = path.read_bytes()  # bytes, not a file handle, so that retries resend it
        response = self._call(
            "POST",
            "/v1/datasets",
            files={"file": (path.name, content, "text/csv")},
            data=meta.upload_form(),
        )
        if response.status_code != 409:
            _check(response, "dataset upload")

    def submit_job(self, request: TrainRequest) -> JobAccepted:
        """``POST /v1/jobs``; the trainer's 202 answer, with the job id."""
        response = self._call("POST", "/v1/jobs", json=request.model_dump(mode="json"))
        _check(response, "job submission")
        try:
            return JobAccepted.model_validate_json(response.content)
        except ValidationError as exc:
            raise TrainerRejectedError(
                f"trainer job submission answered {response.status_code} with an unexpected "
                f"body: {response.text[:500]}"
            ) from exc

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TrainerUnavailableError(
                f"trainer at {self.client.base_url} unreachable: {exc}"
            ) from exc


def _check(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    message = f"trainer {what} answered {response.status_code}: {str(detail)[:500]}"
    if response.status_code >= 500 or response.status_code == 429:
        raise TrainerUnavailableError(message)
    raise TrainerRejectedError(message)
