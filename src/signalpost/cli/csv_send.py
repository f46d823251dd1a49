"""``signalpost send --file recipients.csv``: one message per row, sent in batches.

Rows are checked before anything is sent (a valid phone number, no duplicate, every
``{{variable}}`` of ``--text`` present), so one bad row never sinks its batch.  Rows with
the same text (or template parameters) go out together, ``--batch-size`` recipients per
request.  If the server still refuses a batch, its rows are sent one by one to learn
which of them it refuses and why.  The summary lists accepted and refused rows (with the
reason and the file's line number); the exit status is 1 when any row was refused.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalpost.cli.output import CliError, emit, error_line, is_terminal
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.domain.placeholders import MissingVariables, render

if TYPE_CHECKING:
    import httpx

__all__ = ["send_file"]

TO_COLUMNS = ("to", "phone", "phone_number", "number", "recipient")


@dataclass(slots=True)
class Row:
    line: int
    to: str
    e164: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    text: str | None = None


@dataclass
class Summary:
    rows: int = 0
    accepted: int = 0
    requests: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)

    def refuse(self, row: Row, reason: str) -> None:
        self.refusals.append({"line": row.line, "to": row.to, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "refused": len(self.refusals),
            "requests": self.requests,
            "refusals": sorted(self.refusals, key=lambda r: int(r["line"])),
        }


def _read(path: str) -> tuple[str, list[dict[str, str]]]:
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CliError(f"cannot read {path}: {exc}") from exc
    to = next((c for c in columns if c.lower() in TO_COLUMNS), None)
    if to is None:
        raise CliError(f"{path}: no recipient column (one of: {', '.join(TO_COLUMNS)})")
    return to, rows


def _check(path: str, args: argparse.Namespace, summary: Summary) -> list[Row]:
    """Rows worth sending; the others are refused in ``summary`` with their reason."""
    to_column, raw_rows = _read(path)
    seen: dict[str, int] = {}
    good: list[Row] = []
    for index, raw in enumerate(raw_rows):
        row = Row(line=index + 2, to=raw.get(to_column, ""))
        row.variables = {k: v for k, v in raw.items() if k and k != to_column}
        summary.rows += 1
        try:
            row.e164 = parse_phone(row.to).e164
        except InvalidPhoneNumber as exc:
            summary.refuse(row, f"invalid phone number: {exc}")
            continue
        if row.e164 in seen:
            summary.refuse(row, f"duplicate of line {seen[row.e164]}")
            continue
        if args.text is not None:
            filled = {k: v for k, v in row.variables.items() if v}  # a blank cell is missing
            try:
                row.text = render(args.text, filled)
            except MissingVariables as exc:
                summary.refuse(row, str(exc))
                continue
        seen[row.e164] = row.line
        good.append(row)
    return good


def _batches(
    rows: list[Row], args: argparse.Namespace
) -> Iterator[tuple[dict[str, Any], list[Row]]]:
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        key = row.text if row.text is not None else tuple(sorted(row.variables.items()))
        groups.setdefault(key, []).append(row)
    size = max(1, args.batch_size)
    for group in groups.values():
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            yield _body(chunk[0], args), chunk


def _body(first: Row, args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"channels": args.channel or ["sms"]}
    if first.text is not None:
        body["text"] = first.text
    else:
        fixed = dict(p.split("=", 1) for p in args.param or [])
        body["template"] = {"name": args.template, "parameters": {**fixed, **first.variables}}
    if args.sender:
        body["from"] = args.sender
    return body


def _post(client: httpx.Client, body: dict[str, Any], rows: list[Row], summary: Summary) -> None:
    import httpx  # loaded already: the client posting is one

    summary.requests += 1
    try:
        response = client.post("/v1/messages", json={**body, "to": [r.e164 for r in rows]})
    except httpx.HTTPError as exc:
        for row in rows:
            summary.refuse(row, f"not sent: {type(exc).__name__}: {exc}")
        return
    if response.is_success:
        created = response.json().get("messages", [])
        summary.accepted += len(rows)
        summary.message_ids.extend(m["id"] for m in created)
        return
    if len(rows) > 1 and response.status_code == 422:
        for row in rows:  # find which rows the server refuses, and why
            _post(client, body, [row], summary)
        return

    for row in rows:
        summary.refuse(row, error_line(response))


def send_file(client: httpx.Client, args: argparse.Namespace) -> int:
    if args.to:
        raise CliError("give either --to or --file, not both")
    summary = Summary()
    rows = _check(args.file, args, summary)
    progress = sys.stderr.isatty()
    done = 0
    for body, chunk in _batches(rows, args):
        _post(client, body, chunk, summary)
        done += len(chunk)
        if progress:
            sys.stderr.write(f"\rsending: {done}/{len(rows)} rows")
            sys.stderr.flush()
    if progress:
        sys.stderr.write("\n")
    result = summary.as_dict()
    if is_terminal() and not args.json:
        emit({k: v for k, v in result.items() if k != "refusals"})
        if summary.refusals:
            sys.stdout.write("\n")
            emit(summary.refusals)
    else:
        emit(result, as_json=True)
    return 1 if summary.refusals else 0
