"""The native error envelope: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from signalpost.errors import AppError
from signalpost.http import Request, Response, json_response

__all__ = ["render_error"]


def render_error(request: Request, exc: Exception) -> Response:
    del request
    if not isinstance(exc, AppError):
        exc = AppError()
    body = {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
    response = json_response(body, exc.status)
    if exc.status == 401:
        response.set_header("www-authenticate", "Bearer")
    return response
