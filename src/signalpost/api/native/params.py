"""The native API's query parameters, each declared once with its bounds.

Routes name them in their ``query`` declaration (so the OpenAPI document shows the bounds)
and read them with the same object.  Cursors are opaque to callers: a forged one that does
not decode to bounded integers is refused as ``invalid cursor``.
"""

from __future__ import annotations

import base64

import orjson

from signalpost.activities.schemas import ActivityFilter
from signalpost.domain.lifecycle import CHANNELS, Status
from signalpost.errors import ValidationFailed
from signalpost.http import Request
from signalpost.http.params import INT64_MAX, IntParam, TimeParam
from signalpost.http.router import Param, QueryParam
from signalpost.messages.schemas import MessageFilter

__all__ = [
    "ACTIVITY_FILTERS",
    "ACTIVITY_LIMIT",
    "AFTER_ACTIVITY",
    "AFTER_ATTEMPT",
    "BEFORE_ATTEMPT",
    "CREATED_AFTER",
    "CREATED_BEFORE",
    "CURSOR",
    "LIMIT",
    "MESSAGE_FILTERS",
    "OFFSET",
    "STATS_FROM",
    "STATS_TO",
    "activity_filter",
    "cursor_int",
    "decode_cursor",
    "encode_cursor",
    "message_filter",
    "statuses_param",
]

MAX_OFFSET = 1_000_000

LIMIT = IntParam("limit", 1, 500, 50, "items per page")
ACTIVITY_LIMIT = IntParam("limit", 1, 1000, 100, "items per page")
OFFSET = IntParam("offset", 0, MAX_OFFSET, 0, "items to skip")
AFTER_ACTIVITY = IntParam(
    "after", 0, INT64_MAX, None, "activity id: newer activities, oldest first (live tail)"
)
AFTER_ATTEMPT = IntParam(
    "after", 0, INT64_MAX, None, "attempt id: newer attempts, oldest first (live tail)"
)
BEFORE_ATTEMPT = IntParam("before", 0, INT64_MAX, None, "attempt id: older attempts, newest first")
CREATED_AFTER = TimeParam("created_after", "inclusive")
CREATED_BEFORE = TimeParam("created_before", "exclusive")
STATS_FROM = TimeParam(
    "from", "start, inclusive, aligned down to the hour (day); default 24 h (30 days) before to"
)
STATS_TO = TimeParam("to", "end, exclusive, aligned up to the hour (day); default now")
CURSOR = Param("next_cursor from the previous page")

_UUID = {"type": "string", "format": "uuid"}
MESSAGE_FILTERS: dict[str, QueryParam | Param] = {
    "status": Param(
        "filter by status (repeat or comma-separate)",
        {"type": "array", "items": {"type": "string", "enum": [s.value for s in Status]}},
    ),
    "channel": Param("filter by channel", {"type": "string", "enum": list(CHANNELS)}),
    "to": Param("filter by recipient (E.164)"),
    "from": Param("filter by sender"),
    "batch_id": Param("filter by batch (a send request)", _UUID),
    "created_after": CREATED_AFTER,
    "created_before": CREATED_BEFORE,
}
ACTIVITY_FILTERS: dict[str, QueryParam | Param] = {
    **MESSAGE_FILTERS,
    "message_id": Param("filter by message", _UUID),
}

_INVALID = {"cursor": ["invalid cursor"]}


def encode_cursor(parts: list[object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode().rstrip("=")


def decode_cursor(raw: str | None) -> list[object] | None:
    """The parts of a cursor this API handed out; 422 ``invalid cursor`` otherwise."""
    if not raw:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ValidationFailed(details=_INVALID) from exc
    if not isinstance(value, list) or not value:
        raise ValidationFailed(details=_INVALID)
    return value


def cursor_int(value: object) -> int:
    """An integer part of a cursor (a time or an id), within a signed 64-bit column."""
    if isinstance(value, int) and not isinstance(value, bool) and -INT64_MAX <= value <= INT64_MAX:
        return value
    raise ValidationFailed(details=_INVALID)


def statuses_param(request: Request) -> tuple[str, ...]:
    """``status`` repeated or comma-separated (also ``status[]``), lower-cased."""
    values: list[str] = []
    for raw in request.query_all("status") + request.query_all("status[]"):
        values.extend(v.strip().lower() for v in raw.split(",") if v.strip())
    return tuple(values)


def message_filter(request: Request) -> MessageFilter:
    """The message listing's filters (also those of its export)."""
    return MessageFilter(
        statuses=statuses_param(request),
        channel=request.query("channel"),
        to_number=request.query("to"),
        from_number=request.query("from"),
        batch_id=request.query("batch_id"),
        created_from=CREATED_AFTER.read(request),
        created_to=CREATED_BEFORE.read(request),
    )


def activity_filter(request: Request) -> ActivityFilter:
    """The activity listing's filters (also those of its export)."""
    return ActivityFilter(
        statuses=statuses_param(request),
        channel=request.query("channel"),
        to_number=request.query("to"),
        from_number=request.query("from"),
        message_id=request.query("message_id"),
        batch_id=request.query("batch_id"),
        created_from=CREATED_AFTER.read(request),
        created_to=CREATED_BEFORE.read(request),
    )
