"""The trainer's HTTP API as the drift monitor uses it: upload a dataset, submit a job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from modelfleet.common.http_client import ServiceClient


class TrainerUnavailableError(Exception):
    """The trainer could not be reached or answered 5xx: retry on a later run."""


class TrainerRejectedError(Exception):
    """The trainer answered 4xx: the request itself is wrong, retrying will not help."""


class TrainerClient:
    """Thin wrapper over ``ServiceClient`` (timeouts, retries with backoff, bearer token)."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def upload_dataset(
        self,
        path: Path,
        *,
        name: str,
        target: str,
        description: str,
        tags: dict[str, str],
    ) -> None:
        """``POST /v1/datasets`` (multipart). A dataset of that name already there is fine:
        it is ours from an earlier attempt whose job submission failed."""
        content = path.read_bytes()  # bytes, not a file handle, so that retries resend it
        response = self._call(
            "POST",
            "/v1/datasets",
            files={"file": (path.name, content, "text/csv")},
            data={
                "name": name,
                "target": target,
                "description": description,
                "owner": "drift-monitor",
                "tags": json.dumps(tags),
            },
        )
        if response.status_code != 409:
            _check(response, "dataset upload")

    def submit_job(self, body: dict[str, Any]) -> str:
        """``POST /v1/jobs``; the trainer's job id."""
        response = self._call("POST", "/v1/jobs", json=body)
        _check(response, "job submission")
        payload = response.json()
        return str(payload.get("job_id") or payload.get("id"))

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
