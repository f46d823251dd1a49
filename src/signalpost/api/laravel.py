"""Laravel's validation answers, which two dialects speak: MailerSend in the wording of
Laravel 9 (``"The to must be an array."``, one message for the whole answer) and Lamah in
the wording of Laravel 10 and later (``"The receiver field must be a string."``, the first
message and how many more as the answer's message).

Fields are named as Laravel prints them: dotted paths (``to.0``), underscores read as
spaces (``sms_number_id`` -> ``sms number id``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from signalpost.http.params import InvalidParam, Problem

__all__ = ["LARAVEL_9", "LARAVEL_10", "Errors", "Wording", "attribute", "dotted", "summary"]

Errors = dict[str, list[str]]
_INDEX = re.compile(r"\[(\d+)\]")

# pydantic's error types, by the rule Laravel would have broken
_RULES = {
    "missing": "required",
    "string_too_short": "required",
    "string_type": "string",
    "bool_type": "boolean",
    "int_type": "integer",
    "list_type": "array",
    "dict_type": "array",
    "model_type": "array",
    "model_attributes_type": "array",
    "string_too_long": "max_chars",
    "too_short": "min_items",
    "too_long": "max_items",
    "literal_error": "in",
    "enum": "in",
    "url_parsing": "format",
    "url_scheme": "format",
    "url_type": "format",
}


def attribute(field: str) -> str:
    """How Laravel names a field in a message: ``sms_number_id`` -> ``sms number id``."""
    return field.replace("_", " ")


def dotted(key: str) -> str:
    """A field path (``to[0].text``) in Laravel's dotted form (``to.0.text``)."""
    return _INDEX.sub(r".\1", key)


def summary(errors: Errors, fallback: str) -> str:
    """Laravel 10's message for a whole answer: the first error, and how many more."""
    messages = [m for msgs in errors.values() for m in msgs]
    if not messages:
        return fallback
    more = len(messages) - 1
    if more:
        return f"{messages[0]} (and {more} more error{'s' if more > 1 else ''})"
    return messages[0]


class Wording:
    """One Laravel release's messages, by rule (``required``, ``string``, ``max_chars``...)."""

    def __init__(self, templates: Mapping[str, str]) -> None:
        self.templates = templates

    def say(self, rule: str, attr: str, **values: Any) -> str:
        """The message for ``attr`` (already as Laravel prints it) breaking ``rule``."""
        return self.templates[rule].format(attr=attr, **values)

    def of(self, rule: str, field: str, **values: Any) -> str:
        """The message for the field called ``field`` breaking ``rule``."""
        return self.say(rule, attribute(field), **values)

    def pydantic_errors(self, exc: ValidationError) -> Errors:
        """A model's refusals as ``{"field.path": ["The field.path ..."]}``."""
        errors: Errors = {}
        for error in exc.errors(include_url=False):
            field = ".".join(str(p) for p in error["loc"]) or "body"
            rule = _RULES.get(error["type"])
            context = dict(error.get("ctx") or {})
            if rule is not None and rule in self.templates:
                values = {"max": context.get("max_length"), "min": context.get("min_length")}
                text = self.of(rule, field, **values)
            else:
                text = f"The {attribute(field)} is invalid: {error['msg']}."
            errors.setdefault(field, []).append(text)
        return errors

    def param(self, exc: InvalidParam) -> str:
        """A refused query parameter: by rule where this release words it, else as the
        parameter's own explanation says."""
        attr = attribute(exc.name)
        if exc.problem is Problem.INTEGER and "integer" in self.templates:
            return self.say("integer", attr)
        if exc.problem is Problem.RANGE and "min_value" in self.templates:
            if exc.below:
                return self.say("min_value", attr, min=exc.minimum)
            return self.say("max_value", attr, max=exc.maximum)
        return self.say("explained", attr, text=exc.text)


LARAVEL_9 = Wording(
    {
        "required": "The {attr} field is required.",
        "string": "The {attr} must be a string.",
        "boolean": "The {attr} field must be true or false.",
        "integer": "The {attr} must be an integer.",
        "array": "The {attr} must be an array.",
        "max_chars": "The {attr} may not be greater than {max} characters.",
        "min_items": "The {attr} must have at least {min} items.",
        "max_items": "The {attr} may not have more than {max} items.",
        "in": "The selected {attr} is invalid.",
        "format": "The {attr} format is invalid.",
        "min_value": "The {attr} must be at least {min}.",
        "max_value": "The {attr} may not be greater than {max}.",
        "explained": "The {attr} {text}.",
    }
)

LARAVEL_10 = Wording(
    {
        "required": "The {attr} field is required.",
        "string": "The {attr} field must be a string.",
        "array": "The {attr} field must be an array.",
        "max_chars": "The {attr} field must not be greater than {max} characters.",
        "max_items": "The {attr} field must not have more than {max} items.",
        "in": "The selected {attr} is invalid.",
        "alpha_num": "The {attr} field must only contain letters and numbers.",
        "single_key": "The {attr} field must be a single-key object.",
        "explained": "The {attr} field {text}.",
    }
)
