"""Reading Lamah send bodies with Laravel's validation messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from signalpost.api.lamah.errors import LamahError
from signalpost.api.laravel import LARAVEL_10
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.errors import ValidationFailed
from signalpost.http import Request

__all__ = [
    "MAX_MESSAGE",
    "MAX_RECEIVERS",
    "Common",
    "json_object",
    "parse_common",
    "parse_number",
    "parse_params",
    "raise_if",
    "required_text",
]

MAX_MESSAGE = 1530
MAX_RECEIVERS = 1000
MAX_SENDER = 11
PAYMENT_TYPES = ("wallet", "subscription")
DEFAULT_REGION = "LY"  # local numbers (09x...) are Libyan
_SENDER = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True, slots=True)
class Common:
    """The fields every send has."""

    sender: str
    payment_type: str


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise LamahError("The request body must be valid JSON.") from exc
    if not isinstance(data, dict):
        raise LamahError("The request body must be a JSON object.")
    return data


def required_text(
    data: dict[str, Any], field: str, errors: dict[str, list[str]], *, max_length: int
) -> str:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = [LARAVEL_10.of("required", field)]
        return ""
    if not isinstance(value, str):
        errors[field] = [LARAVEL_10.of("string", field)]
        return ""
    if len(value) > max_length:
        errors[field] = [LARAVEL_10.of("max_chars", field, max=max_length)]
    return value


def parse_common(data: dict[str, Any], errors: dict[str, list[str]]) -> Common:
    sender = required_text(data, "sender", errors, max_length=MAX_SENDER)
    if sender and "sender" not in errors and not _SENDER.fullmatch(sender):
        errors["sender"] = [LARAVEL_10.of("alpha_num", "sender")]
    payment = required_text(data, "payment_type", errors, max_length=32)
    if payment and "payment_type" not in errors and payment not in PAYMENT_TYPES:
        errors["payment_type"] = [LARAVEL_10.of("in", "payment_type")]
    return Common(sender, payment)


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(details=errors)


def parse_number(raw: Any) -> str:
    """A receiver as E.164; 400 ``Invalid phone number`` otherwise."""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise LamahError("Invalid phone number")
    try:
        return parse_phone(str(raw), DEFAULT_REGION).e164
    except InvalidPhoneNumber as exc:
        raise LamahError("Invalid phone number") from exc


def parse_params(raw: Any, errors: dict[str, list[str]]) -> dict[str, str]:
    """``[{"name": "Ahmed"}, {"date": "2024-01-15"}]`` as one mapping of strings."""
    if not isinstance(raw, list):
        errors["params"] = [LARAVEL_10.of("array", "params")]
        return {}
    params: dict[str, str] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or len(item) != 1:
            errors[f"params.{index}"] = [LARAVEL_10.say("single_key", f"params.{index}")]
            continue
        ((name, value),) = item.items()
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            errors[f"params.{index}"] = [LARAVEL_10.say("string", f"params.{index}.{name}")]
            continue
        params[str(name)] = str(value)
    return params
