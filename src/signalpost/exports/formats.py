"""Export encodings: CSV (RFC 4180, a header row) and NDJSON (one JSON object a line)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, TypeVar

import orjson

__all__ = ["FORMATS", "encode"]

T = TypeVar("T")
FORMATS = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _numeric(value):
        return "'" + value  # no formula injection when the file is opened in a spreadsheet
    return value


def _numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _csv_lines(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue().encode()


async def encode(
    pages: AsyncIterator[Sequence[T]],
    present: Callable[[T], Mapping[str, Any]],
    fmt: str,
    columns: Sequence[str],
) -> AsyncIterator[bytes]:
    """One chunk per page; CSV starts with the header row."""
    if fmt == "csv":
        yield _csv_lines([{c: c for c in columns}], columns)
    async for page in pages:
        shaped = [present(item) for item in page]
        if fmt == "csv":
            yield _csv_lines(shaped, columns)
        else:
            yield b"".join(orjson.dumps(item) + b"\n" for item in shaped)
