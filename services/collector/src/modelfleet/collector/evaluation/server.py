"""Talking to one model-server: what it serves (``GET /v1/model``) and its predictions."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from pydantic import ValidationError

from modelfleet.common.errors import UpstreamError
from modelfleet.common.http_client import RETRYABLE_STATUS, ServiceClient
from modelfleet.common.wire import SOURCE_HEADER, ModelInfo, PredictResponse

_PREDICT_HEADERS = {
    "Content-Type": "application/json",
    # The collector stores these answers itself (source "evaluation"); the header tells a
    # model-server that ships prediction logs not to count them as online traffic.
    SOURCE_HEADER: "evaluation",
}


class TargetError(UpstreamError):
    """The model-server did not answer usefully, even after retries with backoff."""


class ModelServerClient:
    """``/v1/model`` and ``/v1/predict`` of one model-server, retried with backoff."""

    def __init__(self, url: str, *, retries: int, backoff: float, timeout: float) -> None:
        self.url = url
        self._client = ServiceClient(
            url, retries=retries, backoff=backoff, max_backoff=8.0, timeout=timeout
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(
                method, path, retry_status=RETRYABLE_STATUS | {500}, **kwargs
            )
        except httpx.HTTPError as exc:
            raise TargetError(f"{method} {self.url}{path} failed: {exc!r}") from exc
        if response.status_code != 200:
            raise TargetError(
                f"{method} {self.url}{path} answered {response.status_code}: {response.text[:300]}"
            )
        return response

    def model_info(self) -> ModelInfo:
        response = self._call("GET", "/v1/model")
        try:
            return ModelInfo.model_validate_json(response.content)
        except ValidationError as exc:
            raise TargetError(
                f"{self.url}/v1/model is not a modelfleet model-server: {exc}"
            ) from exc

    def predict(self, records: list[dict[str, Any]]) -> PredictResponse:
        body = orjson.dumps({"records": records}, option=orjson.OPT_SERIALIZE_NUMPY)
        response = self._call("POST", "/v1/predict", content=body, headers=_PREDICT_HEADERS)
        try:
            answer = PredictResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise TargetError(f"{self.url}/v1/predict answered an unexpected body: {exc}") from exc
        if len(answer.predictions) != len(records):
            raise TargetError(
                f"{self.url}/v1/predict returned {len(answer.predictions)} predictions "
                f"for {len(records)} records"
            )
        return answer

    def close(self) -> None:
        self._client.close()
