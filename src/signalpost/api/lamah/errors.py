"""Lamah's Laravel-style error bodies: ``{"message": ...}`` (422 adds ``errors``)."""

from __future__ import annotations

from signalpost.api.laravel import LARAVEL_10, summary
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
from signalpost.messages.exceptions import MessageNotFound, MessageNotOwned

__all__ = ["LamahError", "invalid", "render_error"]


class LamahError(AppError):
    """The request could not be processed."""

    status = 400
    code = "lamah_error"

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def invalid(field: str, message: str) -> ValidationFailed:
    """A Laravel field validation failure (422)."""
    return ValidationFailed(message, details={field: [message]})


def _body(exc: Exception) -> tuple[int, dict[str, object]]:
    if isinstance(exc, LamahError):
        return exc.status, {"message": exc.message}
    if isinstance(exc, Unauthorized):
        return 401, {"message": "Unauthenticated."}
    if isinstance(exc, MessageNotOwned):
        return 403, {"message": "Message does not belong to your project"}
    if isinstance(exc, MessageNotFound):
        return 404, {"message": "Message not found"}
    if isinstance(exc, RateLimited):
        return 429, {"message": "Too Many Attempts."}
    if isinstance(exc, InvalidParam):
        message = LARAVEL_10.param(exc)
        return 422, {"message": message, "errors": {exc.name: [message]}}
    if isinstance(exc, ValidationFailed):
        return 422, {
            "message": summary(exc.details or {}, exc.message),
            "errors": exc.details or {},
        }
    if isinstance(exc, Forbidden):
        return 403, {"message": "Forbidden"}
    if isinstance(exc, NotFound):
        return 404, {"message": "Not Found"}
    if isinstance(exc, BadRequest):
        return 400, {"message": exc.message}
    if isinstance(exc, AppError) and exc.status < 500:
        return exc.status, {"message": exc.message}
    return 500, {"message": "Server Error"}


def render_error(request: Request, exc: Exception) -> Response:
    """Every error as JSON, whatever the Accept header says (never a login redirect)."""
    del request
    status, body = _body(exc)
    return json_response(body, status)
