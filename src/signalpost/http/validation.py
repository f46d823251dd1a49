"""What a request may not carry, and the error that says so.

Text never carries U+0000: no database stores it the same way (PostgreSQL refuses it,
SQLite keeps it), so the body, the query and the path are checked where the request is
read.  A parameter that breaks a rule (here, or in :mod:`signalpost.http.params`) raises
:class:`InvalidParam`: a :class:`~signalpost.errors.ValidationFailed` that says which
parameter, where and why, so each dialect's error renderer words it in its own envelope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

import orjson

from signalpost.errors import ValidationFailed

__all__ = [
    "NUL",
    "InvalidParam",
    "Problem",
    "reject_nul_in_body",
    "reject_nul_in_path",
    "reject_nul_in_query",
]

NUL = "\x00"

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
