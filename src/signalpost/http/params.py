"""Request parameters read once, the same way under every dialect.

Integers are bounded: each has a documented minimum and maximum, never beyond what a
signed 64-bit database column holds, and only ASCII digits (with an optional sign) are
read, so ``"²"``, ``"1e3"`` or a thousand digits are refused before any arithmetic.

A parameter that breaks a rule raises :class:`~signalpost.http.validation.InvalidParam`
(exported here too, beside the readers that raise it), as does text holding U+0000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from signalpost.http.validation import NUL, InvalidParam, Problem
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
]

INT64_MAX = 2**63 - 1
MAX_PAGE = 1_000_000  # page numbers, every dialect
MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z

_MAX_DIGITS = len(str(INT64_MAX))


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
