"""The error shapes protocol clients expect, as route classes for ``APIRouter(route_class=…)``.

``common.api.error_response`` renders every error raised under such a route with the route's
``error_shape``: one hierarchy of domain errors, one set of handlers, one shape per protocol.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

CLIENT_ERRORS_AS_400 = frozenset({400, 422})
"""Our statuses for "the caller sent something wrong", which these protocols call 400."""


def open_inference_error(status: int, detail: str) -> tuple[int, Any]:
    """Open Inference Protocol v2: ``{"error": …}``; a bad request is 400 (Triton, KServe)."""
    return (400 if status in CLIENT_ERRORS_AS_400 else status), {"error": detail}


def mlflow_error(status: int, detail: str) -> tuple[int, Any]:
    """``mlflow models serve``: bad input is 400 ``{"error_code": "BAD_REQUEST", "message"}``."""
    if status in CLIENT_ERRORS_AS_400:
        return 400, {"error_code": "BAD_REQUEST", "message": detail}
    codes = {
        404: "RESOURCE_DOES_NOT_EXIST",
        413: "BAD_REQUEST",
        415: "BAD_REQUEST",
        503: "TEMPORARILY_UNAVAILABLE",
    }
    return status, {"error_code": codes.get(status, "INTERNAL_ERROR"), "message": detail}


def kserve_v1_error(status: int, detail: str) -> tuple[int, Any]:
    """KServe's v1 data plane answers ``{"error": …}`` with 400 for invalid input."""
    return (400 if status in CLIENT_ERRORS_AS_400 else status), {"error": detail}


class OpenInferenceRoute(APIRoute):
    error_shape = staticmethod(open_inference_error)


class MlflowRoute(APIRoute):
    error_shape = staticmethod(mlflow_error)


class KServeV1Route(APIRoute):
    error_shape = staticmethod(kserve_v1_error)
