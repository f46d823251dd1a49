"""MailerSend's error bodies: ``{"message": ...}``, plus ``errors`` (field -> messages) on 422.

Validation follows Laravel's shape and wording (``"The to.0 must be ..."``); the Python SDK
folds ``errors`` into its exception text, so every value is a list of strings.  A 429 carries
``Retry-After`` (its ``X-RateLimit-*`` headers are the dialect's, as on every answer).
"""

from __future__ import annotations

from signalpost.api.laravel import LARAVEL_9, dotted
from signalpost.api.ratelimit import Decision
from signalpost.errors import (
    AppError,
    BadRequest,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from signalpost.http import Request, Response, json_response
from signalpost.http.params import InvalidParam

__all__ = ["Invalid", "TooManyAttempts", "render_error"]

INVALID = "The given data was invalid."


class Invalid(ValidationFailed):
    """The given data was invalid."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(INVALID, details=errors)


class TooManyAttempts(RateLimited):
    """Too Many Attempts."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(retry_after=decision.retry_after)


def _body(exc: AppError) -> dict[str, object]:
    if isinstance(exc, Unauthorized):
        return {"message": "Unauthenticated."}
    if isinstance(exc, Forbidden):
        return {"message": "This action is unauthorized."}
    if isinstance(exc, NotFound):
        return {"message": "Resource not found."}
    if isinstance(exc, RateLimited):
        return {"message": "Too Many Attempts."}
    if isinstance(exc, InvalidParam):
        return {"message": INVALID, "errors": {dotted(exc.name): [LARAVEL_9.param(exc)]}}
    if isinstance(exc, ValidationFailed):
        errors = {dotted(k): v for k, v in (exc.details or {}).items()}
        return {"message": INVALID, "errors": errors or {"body": [exc.message]}}
    if isinstance(exc, BadRequest) or exc.status < 500:
        return {"message": exc.message}
    return {"message": "Server Error"}


def render_error(request: Request, exc: Exception) -> Response:
    """Any error raised under this dialect's routes, in MailerSend's shape."""
    del request
    if not isinstance(exc, AppError):
        exc = AppError()
    return json_response(_body(exc), exc.status)
