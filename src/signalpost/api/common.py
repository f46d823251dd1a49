"""Helpers every dialect shares: body parsing into models, bearer tokens, list parameters."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from signalpost.errors import BadRequest, ValidationFailed
from signalpost.http import Request

__all__ = ["bearer_token", "parse_body", "validation_details"]

M = TypeVar("M", bound=BaseModel)


def validation_details(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic errors as ``{"field.path": ["message", ...]}``."""
    details: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in error["loc"]) or "body"
        details.setdefault(loc, []).append(error["msg"])
    return details


async def parse_body(request: Request, model: type[M], *, empty_ok: bool = False) -> M:
    """The JSON body validated by ``model``: 400 for malformed JSON, 422 with field details."""
    raw = await request.body()
    if not raw.strip():
        if empty_ok:
            raw = b"{}"
        else:
            raise BadRequest("Request body must be a JSON object")
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON: {exc.args[0]}") from exc
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(details=validation_details(exc)) from exc


def bearer_token(request: Request) -> str | None:
    value = request.header("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
