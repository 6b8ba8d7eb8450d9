"""The one error hierarchy: domain errors carry their HTTP status, one handler answers them.

Every service raises these (never bare ``Exception`` subclasses of its own) and
:func:`modelfleet.common.api.install_error_handlers` turns them into ``{"detail": …}`` JSON, or a
protocol's own error shape where a protocol router says so. A 5xx is a bug, except
:class:`UnavailableError` (a dependency is down; the caller should retry).
"""

from __future__ import annotations


class ModelfleetError(Exception):
    """Base error. ``status_code`` is what an HTTP caller sees; ``detail`` names the problem."""

    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequestError(ModelfleetError):
    """The caller sent something wrong (unknown column, wrong type, empty file …)."""

    status_code = 422


class UnauthorizedError(ModelfleetError):
    """A mutating endpoint was called without the right bearer token."""

    status_code = 401

    def __init__(self, detail: str = "missing or wrong bearer token") -> None:
        super().__init__(detail)


class NotFoundError(ModelfleetError):
    """The thing asked for does not exist (unknown job, version, dataset …)."""

    status_code = 404


class ConflictError(ModelfleetError):
    """The request contradicts current state (already exists, tie, regression refused …)."""

    status_code = 409


class PayloadTooLargeError(ModelfleetError):
    """The request body (or one of its lists) is over a configured limit."""

    status_code = 413


class UnsupportedMediaTypeError(ModelfleetError):
    """The request's content type is not one the endpoint reads."""

    status_code = 415


class UpstreamError(ModelfleetError):
    """A peer service refused our request or answered outside its contract, even after
    retries (a model-server under evaluation, the trainer asked to retrain)."""

    status_code = 502


class UnavailableError(ModelfleetError):
    """A dependency is down; the caller should retry later (``Retry-After`` seconds)."""

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
