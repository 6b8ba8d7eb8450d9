"""FastAPI pieces every service shares: error handlers, bearer auth, health and metrics routes."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable

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

from modelfleet.common.errors import ModelfleetError, UnavailableError

ReadinessCheck = Callable[[], Awaitable[str | None]]
"""Returns None when ready, else the reason the service is not ready."""


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors become ``{"detail": …}`` JSON; validation errors name the field."""

    @app.exception_handler(ModelfleetError)
    async def _domain_error(_request: Request, exc: ModelfleetError) -> JSONResponse:
        headers = {}
        if isinstance(exc, UnavailableError):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{location or 'body'}: {error.get('msg')}")
        return JSONResponse(
            {"detail": "; ".join(problems), "errors": jsonable(exc.errors())}, status_code=422
        )


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


class UnauthorizedError(ModelfleetError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("missing or wrong bearer token")


class HttpMetrics:
    """Prometheus request counters and latency histogram by endpoint and status."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.registry = registry
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
        self.service = service

    def install(self, app: FastAPI) -> None:
        """Measure every request, labelled by its route template (bounded cardinality)."""

        @app.middleware("http")
        async def _measure(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            start = time.perf_counter()
            status = 500
            try:
                response = await call_next(request)
                status = response.status_code
                return response
            finally:
                route = request.scope.get("route")
                endpoint = getattr(route, "path", "unmatched")
                self.requests.labels(self.service, request.method, endpoint, str(status)).inc()
                self.latency.labels(self.service, request.method, endpoint).observe(
                    time.perf_counter() - start
                )


def health_router(registry: CollectorRegistry, readiness: ReadinessCheck) -> APIRouter:
    """``/healthz`` (process alive), ``/readyz`` (dependencies reachable), ``/metrics``."""
    router = APIRouter(tags=["health"])

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
