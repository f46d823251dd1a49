"""Request parameters read once, the same way under every dialect.

Integers are bounded: each has a documented minimum and maximum, never beyond what a
signed 64-bit database column holds, and only ASCII digits (with an optional sign) are
read, so ``"²"``, ``"1e3"`` or a thousand digits are refused before any arithmetic.  Text
never carries U+0000: no database stores it the same way (PostgreSQL refuses it, SQLite
keeps it), so the body, the query and the path are checked where the request is read.

A parameter that breaks a rule raises :class:`InvalidParam`: a
:class:`~signalpost.errors.ValidationFailed` that says which parameter, where and why, so
each dialect's error renderer words it in its own envelope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import orjson

from signalpost.errors import ValidationFailed
from signalpost.timeutil import from_datetime

if TYPE_CHECKING:
    from signalpost.http.request import Request

__all__ = [
    "INT64_MAX",
    "MAX_PAGE",
    "MAX_UNIX_SECONDS",
    "IntParam",
    "InvalidParam",
    "Problem",
    "TimeParam",
    "checked_int",
    "parse_instant",
    "parse_int",
    "reject_nul_in_body",
    "reject_nul_in_path",
]

INT64_MAX = 2**63 - 1
MAX_PAGE = 1_000_000  # page numbers, every dialect
MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
NUL = "\x00"

_MAX_DIGITS = len(str(INT64_MAX))
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # a JSON \u0000 not itself escaped


class Problem(StrEnum):
    """Why a parameter was refused."""

    INTEGER = "integer"  # not an integer at all
    RANGE = "range"  # an integer outside the parameter's bounds
    TIMESTAMP = "timestamp"  # neither ISO 8601 nor Unix seconds in range
    NUL = "nul"  # text holding U+0000


class InvalidParam(ValidationFailed):
    """A parameter is not what the route accepts."""

    def __init__(
        self,
        name: str,
        problem: Problem,
        *,
        where: str = "query",
        minimum: int | None = None,
        maximum: int | None = None,
        below: bool = False,
    ) -> None:
        self.name = name
        self.problem = problem
        self.where = where  # "query", "path" or "body"
        self.minimum = minimum
        self.maximum = maximum
        self.below = below  # for RANGE: under the minimum rather than over the maximum
        super().__init__(details={name: [self.text]})

    @property
    def text(self) -> str:
        """What is wrong, after the parameter's name: ``"must be between 1 and 500"``."""
        if self.problem is Problem.NUL:
            return "must not contain the NUL character (U+0000)"
        if self.problem is Problem.TIMESTAMP:
            return "must be ISO 8601 or Unix seconds, up to the year 9999"
        bounds = f"between {self.minimum} and {self.maximum}"
        if self.problem is Problem.INTEGER:
            return f"must be an integer {bounds}"
        return f"must be {bounds}"


def _is_integer_text(text: str) -> bool:
    digits = text[1:] if text[:1] in ("-", "+") else text
    return digits.isascii() and digits.isdigit()


def parse_int(raw: str, name: str, *, minimum: int, maximum: int, where: str = "query") -> int:
    """``raw`` as an integer within ``[minimum, maximum]``, or :class:`InvalidParam`."""
    text = raw.strip()
    if not _is_integer_text(text):
        problem = Problem.NUL if NUL in raw else Problem.INTEGER
        raise InvalidParam(name, problem, where=where, minimum=minimum, maximum=maximum)
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > _MAX_DIGITS:  # far out of range: never converted
        below = text.startswith("-")
        raise InvalidParam(
            name, Problem.RANGE, where=where, minimum=minimum, maximum=maximum, below=below
        )
    return checked_int(int(text), name, minimum=minimum, maximum=maximum, where=where)


def checked_int(value: int, name: str, *, minimum: int, maximum: int, where: str = "query") -> int:
    """``value`` when it lies within ``[minimum, maximum]`` (a decoded cursor, a body field)."""
    if minimum <= value <= maximum:
        return value
    raise InvalidParam(
        name, Problem.RANGE, where=where, minimum=minimum, maximum=maximum, below=value < minimum
    )


def parse_instant(raw: str, name: str) -> int:
    """Microseconds since the epoch from ISO 8601 (naive: UTC) or Unix seconds (``1.5``)."""
    text = raw.strip()
    try:
        if text.replace(".", "", 1).isascii() and text.replace(".", "", 1).isdigit():
            whole, _, fraction = text.partition(".")
            if len(whole.lstrip("0")) <= len(str(MAX_UNIX_SECONDS)):
                seconds = int(whole)
                if seconds <= MAX_UNIX_SECONDS:
                    micros = int((fraction + "000000")[:6])
                    return seconds * 1_000_000 + micros
        elif text[:4].isascii() and text[:4].isdigit():
            return from_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        pass
    raise InvalidParam(name, Problem.NUL if NUL in raw else Problem.TIMESTAMP)


@dataclass(frozen=True, slots=True)
class IntParam:
    """A bounded integer query parameter, declared once with its route.

    The same object reads the value and documents it (the OpenAPI schema, with bounds).
    ``fold_case`` matches the name in any case (Marketing Cloud's ``$pageSize``).
    """

    name: str
    minimum: int
    maximum: int
    default: int | None = None
    description: str = ""
    fold_case: bool = False

    def read(self, request: Request) -> int | None:
        """The value, or None when the parameter is absent or empty."""
        raw = request.query_folded(self.name) if self.fold_case else request.query(self.name)
        if raw is None or raw == "":
            return None
        return parse_int(raw, self.name, minimum=self.minimum, maximum=self.maximum)

    def value(self, request: Request) -> int:
        """The value, or the default when absent."""
        found = self.read(request)
        if found is not None:
            return found
        assert self.default is not None, f"{self.name} has no default"
        return self.default

    def with_default(self, default: int) -> IntParam:
        return IntParam(
            self.name, self.minimum, self.maximum, default, self.description, self.fold_case
        )

    @property
    def summary(self) -> str:
        """The description with its bounds, as the documentation shows it."""
        bounds = f"{self.minimum} to {self.maximum}"
        if self.default is not None:
            bounds += f", default {self.default}"
        return f"{self.description} ({bounds})" if self.description else bounds

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "integer",
            "minimum": self.minimum,
            "maximum": self.maximum,
        }
        if self.default is not None:
            schema["default"] = self.default
        return schema


@dataclass(frozen=True, slots=True)
class TimeParam:
    """An instant given as ISO 8601 or Unix seconds (up to the year 9999)."""

    name: str
    description: str = ""

    def read(self, request: Request) -> int | None:
        raw = request.query(self.name)
        return parse_instant(raw, self.name) if raw else None

    @property
    def summary(self) -> str:
        text = "ISO 8601 or Unix seconds, up to the year 9999"
        return f"{self.description} ({text})" if self.description else text

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


# ----------------------------------------------------------------------------- NUL


def reject_nul_in_path(params: Mapping[str, str]) -> None:
    """Refuse a path whose parameters hold U+0000 (the caller saw one in the path)."""
    for name, value in params.items():
        if NUL in value:
            raise InvalidParam(name, Problem.NUL, where="path")


def reject_nul_in_query(pairs: list[tuple[str, str]]) -> None:
    for key, value in pairs:
        if NUL in key or NUL in value:
            raise InvalidParam(key.replace(NUL, "") or "query", Problem.NUL)


def reject_nul_in_body(body: bytes) -> None:
    """Refuse a body holding U+0000, raw or as a JSON ``\\u0000`` escape.

    Called only when a quick byte search found a candidate: the JSON is then walked to
    name the field that holds it.
    """
    if b"\x00" not in body and _ESCAPED_NUL.search(body) is None:
        return
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidParam("body", Problem.NUL, where="body") from None
    raise InvalidParam(_nul_field(data, "") or "body", Problem.NUL, where="body")


def _nul_field(value: object, path: str) -> str | None:
    """The path (``to[0]``, ``metadata.key``) of the first string holding U+0000."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if NUL in key:
                return here.replace(NUL, "")
            found = _nul_field(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_field(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
