"""HTTP client for service-to-service calls: timeouts, retries with backoff, bearer token."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import httpx

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


class ServiceClient:
    """Calls one peer service. Retries connection errors and 429/502/503/504 with backoff.

    A 4xx other than 429 is the caller's fault and is returned at once, never retried.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def request(
        self,
        method: str,
        path: str,
        *,
        retry_status: Iterable[int] = RETRYABLE_STATUS,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request, retrying transient failures; raises the last transport error."""
        retry_on = frozenset(retry_status)
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise
                logger.warning(
                    "request to %s%s failed (%s), retrying in %.1fs",
                    self.base_url,
                    path,
                    exc,
                    delay,
                )
            else:
                if response.status_code not in retry_on or attempt == self.retries:
                    return response
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = float(retry_after)
                logger.warning(
                    "%s%s answered %d, retrying in %.1fs",
                    self.base_url,
                    path,
                    response.status_code,
                    delay,
                )
            time.sleep(delay)
            delay = min(delay * 2, self.max_backoff)
        raise AssertionError("unreachable")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
