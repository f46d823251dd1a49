"""Query parameters the native routes share."""

from __future__ import annotations

from signalpost.errors import ValidationFailed
from signalpost.http import Request
from signalpost.timeutil import parse_iso

__all__ = ["statuses_param", "time_param"]


def time_param(request: Request, name: str) -> int | None:
    """ISO 8601 or Unix seconds as microseconds; 422 naming the parameter otherwise."""
    raw = request.query(name)
    if not raw:
        return None
    try:
        if raw.replace(".", "", 1).isdigit():
            return int(float(raw) * 1_000_000)
        return parse_iso(raw)
    except ValueError as exc:
        raise ValidationFailed(details={name: ["must be ISO 8601 or Unix seconds"]}) from exc


def statuses_param(request: Request) -> tuple[str, ...]:
    """``status`` repeated or comma-separated (also ``status[]``), lower-cased."""
    values: list[str] = []
    for raw in request.query_all("status") + request.query_all("status[]"):
        values.extend(v.strip().lower() for v in raw.split(",") if v.strip())
    return tuple(values)
