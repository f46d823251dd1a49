"""What commands print: JSON for scripts (``--json``, or whenever stdout is not a terminal),
aligned tables for people; errors as one line on stderr."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import httpx

__all__ = ["CliError", "emit", "error_line", "is_terminal", "say", "table"]


class CliError(Exception):
    """A failure to report as one line and a non-zero exit, without a traceback."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def is_terminal() -> bool:
    return sys.stdout.isatty()


def emit(data: Any, *, as_json: bool = False) -> None:
    """Print a result: one JSON line unless a person is reading a terminal."""
    if as_json or not is_terminal():
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
    else:
        sys.stdout.write(table(data) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A note for the person at the terminal (stderr: never mixed into JSON output)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Mapping | list):
        return orjson.dumps(value).decode()
    return str(value)


def table(data: Any) -> str:
    """A mapping as ``key  value`` lines; a list of mappings as columns."""
    if isinstance(data, Mapping):
        width = max((len(str(k)) for k in data), default=0)
        return "\n".join(f"{str(k).ljust(width)}  {_cell(v)}" for k, v in data.items())
    if isinstance(data, Sequence) and not isinstance(data, str):
        rows = [r for r in data if isinstance(r, Mapping)]
        if not rows:
            return "(none)"
        columns = list(dict.fromkeys(k for r in rows for k in r))
        cells = [[_cell(r.get(c)) for c in columns] for r in rows]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
        lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
        return "\n".join(line.rstrip() for line in lines)
    return _cell(data)


def error_line(response: httpx.Response) -> str:
    """A server's error answer as one line: its message and code."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    if isinstance(error, dict) and error.get("message"):
        return f"{error['message']} ({error.get('code', response.status_code)})"
    return f"the server answered {response.status_code}"
