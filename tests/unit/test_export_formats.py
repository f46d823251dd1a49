"""Export encodings: CSV quoting, spreadsheet formulas neutralised, NDJSON lines."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import orjson

from signalpost.exports.formats import encode


async def _pages(*pages: list[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    for page in pages:
        yield page


async def _collect(fmt: str, *pages: list[dict[str, Any]]) -> bytes:
    chunks = [c async for c in encode(_pages(*pages), lambda r: r, fmt, ("a", "b"))]
    return b"".join(chunks)


async def test_csv_quotes_and_neutralises_formulas() -> None:
    rows: list[dict[str, Any]] = [
        {"a": '=HYPERLINK("x")', "b": 'say "hi",\nbye'},
        {"a": "+14155551234", "b": -3},
    ]
    text = (await _collect("csv", rows[:1], rows[1:])).decode()
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [["a", "b"], ['\'=HYPERLINK("x")', 'say "hi",\nbye'], ["+14155551234", "-3"]]


async def test_ndjson_is_one_object_a_line() -> None:
    body = await _collect("ndjson", [{"a": 1, "b": {"c": [1]}}], [], [{"a": 2}])
    assert [orjson.loads(line) for line in body.splitlines()] == [
        {"a": 1, "b": {"c": [1]}},
        {"a": 2},
    ]
