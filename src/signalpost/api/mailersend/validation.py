"""Request bodies and query parameters checked with Laravel's wording, as MailerSend answers.

Bodies are parsed into strict pydantic models; their errors are reworded per error type
(``"The text field is required."``, ``"The to may not have more than 50 items."``) under
dotted field names (``to.0``).  Attribute names read with spaces, as Laravel prints them.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from signalpost.api.laravel import LARAVEL_9, Errors
from signalpost.api.mailersend.errors import Invalid
from signalpost.errors import BadRequest
from signalpost.http import Request
from signalpost.http.params import IntParam, InvalidParam

__all__ = ["Errors", "boolean", "integer", "parse_body"]

M = TypeVar("M", bound=BaseModel)


async def parse_body(request: Request, model: type[M], *, empty_ok: bool = False) -> M:
    """The JSON body validated by ``model``; 400 for malformed JSON, 422 with field errors.

    An empty body reads as ``{}`` whatever ``empty_ok`` says: its required fields are
    missing, each named in the answer, as MailerSend answers."""
    del empty_ok
    raw = await request.body()
    try:
        data: Any = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON: {exc.args[0]}") from exc
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(LARAVEL_9.pydantic_errors(exc)) from exc


def integer(request: Request, param: IntParam, errors: Errors) -> int | None:
    """A bounded integer query parameter (None when absent or refused); problems are added
    to ``errors``, so one answer lists them all."""
    try:
        return param.read(request)
    except InvalidParam as exc:
        errors.setdefault(param.name, []).append(LARAVEL_9.param(exc))
        return None


_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def boolean(request: Request, name: str, errors: Errors) -> bool | None:
    """A boolean query parameter (``true/false/1/0`` in any case), None when absent."""
    raw = request.query(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    errors.setdefault(name, []).append(LARAVEL_9.of("boolean", name))
    return None
