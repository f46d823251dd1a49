"""``GET /v1/messages/export`` and ``GET /v1/activities/export``: CSV or NDJSON, streamed."""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply, Routes
from signalpost.api.native import answers, presenters
from signalpost.api.native.base import Native
from signalpost.api.native.params import (
    ACTIVITY_FILTERS,
    MESSAGE_FILTERS,
    activity_filter,
    message_filter,
)
from signalpost.errors import ValidationFailed
from signalpost.exports import service as exports
from signalpost.exports.formats import FORMATS, encode
from signalpost.http import Request
from signalpost.http.streaming import StreamingResponse
from signalpost.timeutil import now_us, seconds_text

__all__ = ["ACTIVITY_COLUMNS", "MESSAGE_COLUMNS", "routes"]

MESSAGE_COLUMNS = (
    "id", "created_at", "to", "from", "channel", "status", "reason_code", "reason",
    "segments", "encoding", "price", "currency", "carrier", "attempts", "batch_id",
    "message_key", "region_code", "sent_at", "delivered_at", "updated_at", "text", "metadata",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "timestamp", "message_id", "status", "description", "reason_code", "reason",
    "error_code", "price", "to", "from", "channel",
)  # fmt: skip


def _format(request: Request) -> str:
    fmt = (request.query("format") or "csv").lower()
    if fmt not in FORMATS:
        raise ValidationFailed(details={"format": ["must be csv or ndjson"]})
    return fmt


def _headers(kind: str, fmt: str) -> list[tuple[bytes, bytes]]:
    stamp = seconds_text(now_us() // 1_000_000).replace(":", "").replace("-", "")
    name = f"signalpost-{kind}-{stamp}Z.{fmt}"
    return [
        (b"content-type", FORMATS[fmt].encode()),
        (b"content-disposition", f'attachment; filename="{name}"'.encode()),
        (b"cache-control", b"no-store"),
    ]


routes = Routes[Native]("/v1", owns=())
FORMAT = Param("the file's format", {"type": "string", "enum": list(FORMATS), "default": "csv"})
EXPORTED = {
    200: Reply("the file (CSV, or NDJSON with format=ndjson), streamed", answers.File, "text/csv"),
    422: "invalid format or filter",
}


@routes.get("/messages/export", query={"format": FORMAT, **MESSAGE_FILTERS}, responses=EXPORTED)
async def export_messages(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> StreamingResponse:
    """Every message matching the listing's filters, newest first, as CSV or NDJSON."""
    fmt = _format(request)
    flt = message_filter(request)
    pages = exports.message_pages(api.ctx.db, scope, flt)
    rows = encode(pages, lambda m: presenters.message(m, events=False), fmt, MESSAGE_COLUMNS)
    return StreamingResponse(rows, 200, _headers("messages", fmt))


@routes.get("/activities/export", query={"format": FORMAT, **ACTIVITY_FILTERS}, responses=EXPORTED)
async def export_activities(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> StreamingResponse:
    """Every activity matching the listing's filters, newest first, as CSV or NDJSON."""
    fmt = _format(request)
    flt = activity_filter(request)
    pages = exports.activity_pages(api.ctx.db, scope, flt)
    rows = encode(pages, presenters.activity, fmt, ACTIVITY_COLUMNS)
    return StreamingResponse(rows, 200, _headers("activities", fmt))
