"""``signalpost export messages|activities``: a streamed export to stdout, progress on stderr.

The bar shows how far back in the requested time range the export has come (rows arrive
newest first), with rows, bytes and rate; without ``--from`` it shows the counts alone.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from signalpost.timeutil import parse_iso

__all__ = ["register"]

# The timestamp of the last record that starts in a chunk: CSV rows start with the id
# then the time; NDJSON objects carry "created_at" (messages) or "timestamp" (activities).
_CSV_TIME = re.compile(rb"\r\n[^,\r\n]+,(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)")
_JSON_TIME = re.compile(rb'"(?:created_at|timestamp)":"(\d{4}-\d\d-\d\dT[\d:.]+Z)"')
_WIDTH = 30


class Progress:
    """Draws one line on a stream, at most every ``every`` seconds, and a final one."""

    def __init__(self, out: IO[str], start: int | None, end: int | None, fmt: str) -> None:
        self.out = out
        self.start = start
        self.end = end
        self.pattern = _CSV_TIME if fmt == "csv" else _JSON_TIME
        self.rows = 0
        self.bytes = 0
        self.reached: int | None = None
        self.first: int | None = None
        self.began = time.monotonic()
        self.drawn = 0.0

    def feed(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        self.rows += chunk.count(b"\n")
        stamps = self.pattern.findall(chunk)
        if stamps:
            self.reached = parse_iso(stamps[-1].decode())
            if self.first is None:
                self.first = self.reached
        if time.monotonic() - self.drawn >= 0.2:
            self.draw()

    def fraction(self) -> float | None:
        if self.start is None or self.reached is None:
            return None
        top = self.end if self.end is not None else self.first
        assert top is not None
        span = max(top - self.start, 1)
        return min(max((top - self.reached) / span, 0.0), 1.0)

    def draw(self, final: bool = False) -> None:
        self.drawn = time.monotonic()
        elapsed = max(self.drawn - self.began, 1e-6)
        share = 1.0 if final else self.fraction()
        bar = ""
        if share is not None:
            filled = int(share * _WIDTH)
            bar = f"[{'#' * filled}{'-' * (_WIDTH - filled)}] {share * 100:3.0f}%  "
        text = (
            f"{bar}{self.rows:,} rows  {self.bytes / 1e6:.1f} MB  {self.rows / elapsed:,.0f} rows/s"
        )
        self.out.write("\r" + text + ("\n" if final else ""))
        self.out.flush()


def _time(raw: str | None) -> int | None:
    if raw is None:
        return None
    if raw.replace(".", "", 1).isdigit():
        return int(float(raw) * 1_000_000)
    return parse_iso(raw)


def cmd_export(settings: Any, args: argparse.Namespace) -> int:
    key = args.api_key or os.environ.get("SIGNALPOST_API_KEY")
    if not key:
        raise SystemExit("an API key is needed: --api-key or SIGNALPOST_API_KEY")
    params: dict[str, str] = {"format": args.format}
    for name, value in (
        ("created_after", args.since),
        ("created_before", args.until),
        ("channel", args.channel),
        ("to", args.to),
        ("batch_id", args.batch),
        ("status", args.status),
    ):
        if value:
            params[name] = value
    progress = Progress(sys.stderr, _time(args.since), _time(args.until), args.format)
    out = sys.stdout.buffer
    headers = {"Authorization": f"Bearer {key}"}
    import httpx  # only this command makes requests among those it is registered with

    timeout = httpx.Timeout(30.0, read=300.0)
    url = (args.url or settings.base_url).rstrip("/") + f"/v1/{args.what}/export"
    with httpx.stream("GET", url, params=params, headers=headers, timeout=timeout) as response:
        if not response.is_success:
            response.read()
            sys.stderr.write(response.text.rstrip() + "\n")
            return 1
        for chunk in response.iter_bytes():
            out.write(chunk)
            progress.feed(chunk)
    out.flush()
    progress.draw(final=True)
    return 0


def register(sub: Any, client_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``export`` to the command line."""
    p = sub.add_parser("export", help="export messages or activities as CSV or NDJSON")
    p.add_argument("what", choices=("messages", "activities"))
    p.add_argument("--from", dest="since", help="ISO 8601 or Unix seconds (inclusive)")
    p.add_argument("--to", dest="until", help="ISO 8601 or Unix seconds (exclusive)")
    p.add_argument("--format", choices=("csv", "ndjson"), default="csv")
    p.add_argument("--status", help="statuses, comma-separated")
    p.add_argument("--channel")
    p.add_argument("--recipient", dest="to", help="E.164 number")
    p.add_argument("--batch")
    client_args(p)
    p.set_defaults(func=cmd_export)
