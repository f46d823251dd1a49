"""Application errors: each carries an HTTP status and a stable code.

Services raise these; each dialect renders them in its own envelope with one handler.  The
class docstring is the default message.  Integration errors (carriers, webhook receivers)
live in their own packages and never reach an HTTP client directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "Unauthorized",
    "ValidationFailed",
]

Details = Mapping[str, Sequence[str]]


class AppError(Exception):
    """An unexpected error occurred."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str | None = None, *, details: Details | None = None) -> None:
        self.message = message or (self.__doc__ or "").strip().splitlines()[0]
        self.details: dict[str, list[str]] | None = (
            {k: list(v) for k, v in details.items()} if details else None
        )
        super().__init__(self.message)


class BadRequest(AppError):
    """The request is malformed."""

    status = 400
    code = "bad_request"


class ValidationFailed(AppError):
    """The request failed validation."""

    status = 422
    code = "validation_failed"


class Unauthorized(AppError):
    """A valid API key is required."""

    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    """This key may not do that."""

    status = 403
    code = "forbidden"


class NotFound(AppError):
    """The resource does not exist."""

    status = 404
    code = "not_found"


class Conflict(AppError):
    """The request conflicts with the current state of the resource."""

    status = 409
    code = "conflict"


class RateLimited(AppError):
    """Too many requests; slow down."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
