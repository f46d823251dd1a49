"""sent.dm template definitions translated to Signalpost templates.

A v3 definition holds its text in ``definition.body``: either ``multiChannel`` alone or
``sms`` and/or ``whatsapp`` (``rcs`` optional), each ``{"template": "Hello {{0:name}}"}``.
Signalpost templates have one body with ``{{name}}`` variables, so ``{{0:name}}`` becomes
``{{name}}``; the SMS text wins when several channel texts are given.  Signalpost has no
review step: templates are usable at once and shown ``APPROVED``; ``language`` is not
stored and shown as ``en_US``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signalpost.api.sentdm.errors import BadEnumValue, MissingField, SentDmError

__all__ = ["CATEGORIES", "Definition", "category_of", "derive_name", "parse_definition"]

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
MAX_BODY = 1024
_INDEXED = re.compile(r"\{\{\s*\d+\s*:\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
_PER_CHANNEL = ("sms", "whatsapp", "rcs")
_WORD = re.compile(r"[\w'-]+")


@dataclass(frozen=True, slots=True)
class Definition:
    body: str  # with {{name}} variables
    channels: tuple[str, ...]


def parse_definition(definition: Mapping[str, Any] | None) -> Definition:
    """The body text and channels of a v3 template definition."""
    body = (definition or {}).get("body")
    if not isinstance(body, Mapping) or not body:
        raise MissingField(details={"definition.body": ["a template body is required"]})
    if "multiChannel" in body and any(k in body for k in ("sms", "whatsapp")):
        raise SentDmError(
            details={"definition.body": ["give multiChannel alone or sms/whatsapp, not both"]}
        )
    if "multiChannel" in body:
        return Definition(_text(body["multiChannel"], "multiChannel"), _PER_CHANNEL)
    channels = tuple(k for k in _PER_CHANNEL if k in body)
    if not channels:
        raise MissingField(
            details={"definition.body": ["multiChannel or sms/whatsapp is required"]}
        )
    return Definition(_text(body[channels[0]], channels[0]), channels)


def _text(content: object, where: str) -> str:
    text = content.get("template") if isinstance(content, Mapping) else None
    if not isinstance(text, str) or not text.strip():
        raise MissingField(details={f"definition.body.{where}.template": ["text is required"]})
    if len(text) > MAX_BODY:
        raise SentDmError(
            details={f"definition.body.{where}.template": [f"at most {MAX_BODY} characters"]}
        )
    return _INDEXED.sub(lambda m: "{{" + m.group(1) + "}}", text)


def category_of(raw: str | None, default: str = "UTILITY") -> str:
    if raw is None:
        return default
    if raw not in CATEGORIES:
        raise BadEnumValue(details={"category": [f"must be one of {', '.join(CATEGORIES)}"]})
    return raw


def derive_name(body: str) -> str:
    """A display name from a template's text: its first words without placeholders."""
    words = _WORD.findall(_PLACEHOLDER.sub(" ", body))
    name = " ".join(words[:6])[:60].strip()
    return name or "Template"
