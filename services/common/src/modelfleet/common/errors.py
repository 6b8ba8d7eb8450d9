"""Domain errors that carry their HTTP status; one handler turns them into JSON responses."""

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


class NotFoundError(ModelfleetError):
    """The thing asked for does not exist (unknown job, version, dataset …)."""

    status_code = 404


class ConflictError(ModelfleetError):
    """The request contradicts current state (already exists, tie, regression refused …)."""

    status_code = 409


class UnavailableError(ModelfleetError):
    """A dependency is down; the caller should retry later."""

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
