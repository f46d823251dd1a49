"""Request bodies and query parameters checked with Laravel's wording, as MailerSend answers.

Bodies are parsed into strict pydantic models; their errors are reworded per error type
(``"The text field is required."``, ``"The to may not have more than 50 items."``) under
dotted field names (``to.0``).  Attribute names read with spaces, as Laravel prints them.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from signalpost.api.mailersend.errors import Invalid, param_message
from signalpost.errors import BadRequest
from signalpost.http import Request
from signalpost.http.params import IntParam, InvalidParam

__all__ = ["Errors", "boolean", "integer", "parse_body"]

M = TypeVar("M", bound=BaseModel)
Errors = dict[str, list[str]]

_TEMPLATES: dict[str, str] = {
    "missing": "The {attr} field is required.",
    "string_type": "The {attr} must be a string.",
    "bool_type": "The {attr} field must be true or false.",
    "int_type": "The {attr} must be an integer.",
    "list_type": "The {attr} must be an array.",
    "dict_type": "The {attr} must be an array.",
    "model_type": "The {attr} must be an array.",
    "model_attributes_type": "The {attr} must be an array.",
    "string_too_long": "The {attr} may not be greater than {max_length} characters.",
    "string_too_short": "The {attr} field is required.",
    "too_short": "The {attr} must have at least {min_length} items.",
    "too_long": "The {attr} may not have more than {max_length} items.",
    "literal_error": "The selected {attr} is invalid.",
    "enum": "The selected {attr} is invalid.",
    "url_parsing": "The {attr} format is invalid.",
    "url_scheme": "The {attr} format is invalid.",
    "url_type": "The {attr} format is invalid.",
}


def attribute(field: str) -> str:
    """How Laravel names a field in a message: ``sms_number_id`` -> ``sms number id``."""
    return field.replace("_", " ")


def laravel_errors(exc: ValidationError) -> Errors:
    """Pydantic errors as ``{"field.path": ["The field.path ..."]}``."""
    errors: Errors = {}
    for error in exc.errors(include_url=False):
        field = ".".join(str(p) for p in error["loc"]) or "body"
        template = _TEMPLATES.get(error["type"])
        context = dict(error.get("ctx") or {})
        text = (
            template.format(attr=attribute(field), **context)
            if template is not None
            else f"The {attribute(field)} is invalid: {error['msg']}."
        )
        errors.setdefault(field, []).append(text)
    return errors


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
        raise Invalid(laravel_errors(exc)) from exc


def integer(request: Request, param: IntParam, errors: Errors) -> int | None:
    """A bounded integer query parameter (None when absent or refused); problems are added
    to ``errors``, so one answer lists them all."""
    try:
        return param.read(request)
    except InvalidParam as exc:
        errors.setdefault(param.name, []).append(param_message(exc))
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
    errors.setdefault(name, []).append(f"The {attribute(name)} field must be true or false.")
    return None
