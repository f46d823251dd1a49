"""Reading SFMC request bodies field by field, with SFMC's validation errors."""

from __future__ import annotations

from typing import Any

import orjson

from signalpost.api.sfmc.errors import SfmcError, missing_field
from signalpost.http import Request

__all__ = ["json_body", "optional_bool", "optional_object", "optional_str", "required_str"]


async def json_body(request: Request, *, array: bool = False) -> Any:
    """The parsed JSON body (an object, or with ``array`` a list of objects)."""
    raw = await request.body()
    try:
        data: Any = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError as exc:
        raise SfmcError(
            f"MCMS_UTM_Validation_InvalidMessageFormat: {exc.args[0]}", errorcode=10004
        ) from exc
    if array:
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise SfmcError(
                "MCMS_UTM_Validation_InvalidMessageFormat:"
                " the body must be a JSON array of objects",
                errorcode=10004,
            )
        return data
    if not isinstance(data, dict):
        raise SfmcError(
            "MCMS_UTM_Validation_InvalidMessageFormat: the body must be a JSON object",
            errorcode=10004,
        )
    return data


def _type_error(name: str, kind: str) -> SfmcError:
    return SfmcError(f"MCMS_UTM_Validation_InvalidDataType_{name}: must be {kind}", errorcode=10001)


def optional_str(data: dict[str, Any], name: str, *, max_length: int | None = None) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _type_error(name, "a string")
    text = str(value)
    if max_length is not None and len(text) > max_length:
        raise SfmcError(
            f"MCMS_UTM_Validation_InvalidValue_{name}: at most {max_length} characters",
            errorcode=10005,
        )
    return text


def required_str(data: dict[str, Any], name: str, *, max_length: int | None = None) -> str:
    text = optional_str(data, name, max_length=max_length)
    if text is None or not text.strip():
        raise missing_field(name)
    return text


def optional_bool(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _type_error(name, "a boolean")


def optional_object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _type_error(name, "an object")
    return value
