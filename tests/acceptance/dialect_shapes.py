"""Each dialect's error envelope, and which dialect a path belongs to, for the bad-input
tests: an answer to bad input must be a 4xx in the shape the dialect's clients parse."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["SHAPES", "dialect_of", "is_error_shape"]

_SENTDM_CODE = re.compile(r"^[A-Z]+_\d{3}$")


def _native(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str) and "message" in error


def _sentdm(body: Any) -> bool:
    if not isinstance(body, dict) or body.get("success") is not False:
        return False
    error = body.get("error")
    return (
        isinstance(error, dict)
        and bool(_SENTDM_CODE.match(str(error.get("code"))))
        and isinstance(body.get("meta"), dict)
    )


def _laravel(body: Any) -> bool:
    """MailerSend and Lamah: ``{"message"}``, plus ``errors`` (field -> messages)."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return False
    if not set(body) <= {"message", "errors"}:
        return False
    errors = body.get("errors", {})
    return isinstance(errors, dict) and all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in errors.values()
    )


def _sfmc(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and isinstance(body.get("message"), str)
        and isinstance(body.get("errorcode"), int)
    )


def _sfmc_oauth(body: Any) -> bool:
    return isinstance(body, dict) and {"error", "error_description"} <= set(body)


SHAPES: dict[str, Callable[[Any], bool]] = {
    "native": _native,
    "sentdm": _sentdm,
    "mailersend": _laravel,
    "lamah": _laravel,
    "sfmc": _sfmc,
    "sfmc-oauth": _sfmc_oauth,
}

_PREFIXES = (
    ("/v1/sms", "mailersend"),
    ("/v1/", "native"),
    ("/v3/", "sentdm"),
    ("/messaging/", "sfmc"),
    ("/platform/", "sfmc"),
    ("/v2/token", "sfmc-oauth"),
    ("/api/", "lamah"),
)


def dialect_of(path: str) -> str:
    for prefix, dialect in _PREFIXES:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return dialect
    return "native"


def is_error_shape(dialect: str, status: int, body: Any) -> bool:
    """A 4xx whose body is the dialect's error envelope (Marketing Cloud answers an
    unknown route with its own 596 ``Service Not Found``)."""
    if dialect == "sfmc" and status == 596:
        return _sfmc(body) and body["errorcode"] == 30003
    return 400 <= status < 500 and SHAPES[dialect](body)
