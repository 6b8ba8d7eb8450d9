"""FastAPI pieces every service shares: error handlers, bearer auth, health routes, HTTP metrics.

One way for each: errors are :class:`~modelfleet.common.errors.ModelfleetError` subclasses turned
into JSON by :func:`install_error_handlers` (database failures included, see ``db.errors``);
readiness is a :data:`~modelfleet.common.readiness.ReadinessCheck` behind ``/readyz``; HTTP
metrics come from the pure-ASGI :class:`HttpMetricsMiddleware`.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelfleet.common.errors import ModelfleetError, UnauthorizedError, UnavailableError
from modelfleet.common.readiness import ReadinessCheck

logger = logging.getLogger(__name__)


class ErrorShape(Protocol):
    """How a protocol renders an error: ``(status, body)`` for a status and a detail."""

    def __call__(self, status: int, detail: str) -> tuple[int, Any]: ...


def error_response(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The error in the shape of the matched route's protocol (``{"detail": …}`` by default).

    A protocol router whose clients expect another shape (Open Inference v2 ``{"error": …}``,
    MLflow's ``{"error_code", "message"}``) sets ``error_shape`` on its routes.
    """
    shape = _error_shape(request)
    if shape is None:
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    code, body = shape(status, detail)
    return JSONResponse(body, status_code=code, headers=headers)


def _error_shape(request: Request) -> ErrorShape | None:
    shape: ErrorShape | None = getattr(request.scope.get("route"), "error_shape", None)
    return shape


def install_error_handlers(app: FastAPI, *, database: bool = False, retry_after: int = 5) -> None:
    """Domain errors become JSON naming the problem; validation errors name the field.

    With ``database``, database failures are answered too: unreachable or not migrated → 503 with
    ``Retry-After``, data the database refuses → 422 (see :mod:`modelfleet.common.db.errors`).
    """

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ModelfleetError)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, UnavailableError) else {}
        return error_response(request, exc.status_code, exc.detail, headers)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{location or 'body'}: {error.get('msg')}")
        detail = "; ".join(problems)
        if _error_shape(request) is not None:
            return error_response(request, 422, detail)
        return JSONResponse({"detail": detail, "errors": jsonable(exc.errors())}, status_code=422)

    app.add_exception_handler(ModelfleetError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    if database:
        from modelfleet.common.db.errors import database_error, exception_types

        async def db_error(request: Request, exc: Exception) -> Response:
            translated = database_error(exc, retry_after)
            if translated is None:
                raise exc
            return await domain_error(request, translated)

        for kind in exception_types():
            app.add_exception_handler(kind, db_error)


def jsonable(errors: object) -> object:
    """Pydantic error lists may hold exceptions in ``ctx``; keep only JSON-safe values."""
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})


def bearer_auth(token: SecretStr | None) -> Callable[..., Awaitable[None]]:
    """A dependency that requires ``Authorization: Bearer <token>`` when a token is configured."""
    scheme = HTTPBearer(auto_error=False)

    async def _check(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:
        if token is None:
            return
        expected = token.get_secret_value().encode()
        if credentials is None or not hmac.compare_digest(
            credentials.credentials.encode(), expected
        ):
            raise UnauthorizedError()

    return _check


class HttpMetrics:
    """Prometheus request counters and latency histogram by endpoint and status."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.registry = registry
        self.service = service
        self.requests = Counter(
            "modelfleet_http_requests_total",
            "HTTP requests",
            ["service", "method", "endpoint", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "modelfleet_http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "endpoint"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class HttpMetricsMiddleware:
    """Counts requests and observes latency by route template (bounded cardinality) and status.

    Pure ASGI: ``BaseHTTPMiddleware`` (what ``@app.middleware`` installs) costs a task and a
    memory stream per request, measurable on a model-server answering in a fraction of a
    millisecond. Label children are cached per (method, route, status).
    """

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            key = (scope["method"], getattr(route, "path", "unmatched"), str(status))
            children = self._children.get(key)
            if children is None:
                service = self.metrics.service
                children = (
                    self.metrics.requests.labels(service, *key),
                    self.metrics.latency.labels(service, key[0], key[1]),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - start)


def install_http_metrics(app: FastAPI, registry: CollectorRegistry, service: str) -> HttpMetrics:
    """Measure every request of ``app`` into ``registry``; returns the metrics."""
    metrics = HttpMetrics(registry, service)
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)
    return metrics


def health_router(
    registry: CollectorRegistry, readiness: ReadinessCheck, multiprocess_dir: Path | None = None
) -> APIRouter:
    """``/healthz`` (process alive), ``/readyz`` (dependencies reachable), ``/metrics``.

    With ``multiprocess_dir`` (worker processes sharing a port, prometheus_client's
    multiprocess mode), ``/metrics`` sums every worker's values, whichever worker answers.
    """
    router = APIRouter(tags=["health"])
    if multiprocess_dir is not None:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(multiprocess_dir))

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        reason = await readiness()
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready", "detail": reason}, status_code=503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
