"""``GET /v1/messages/export`` and ``GET /v1/activities/export``: CSV or NDJSON, streamed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalpost.api.common import bearer_token
from signalpost.api.native import presenters
from signalpost.api.native.params import (
    activity_filter,
    message_filter,
)
from signalpost.errors import ValidationFailed
from signalpost.exports import service as exports
from signalpost.exports.formats import FORMATS, encode
from signalpost.http import Request, Router
from signalpost.http.streaming import StreamingResponse
from signalpost.timeutil import now_us, seconds_text

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["ACTIVITY_COLUMNS", "MESSAGE_COLUMNS", "add_export_routes"]

MESSAGE_COLUMNS = (
    "id", "created_at", "to", "from", "channel", "status", "reason_code", "reason",
    "segments", "encoding", "price", "currency", "carrier", "attempts", "batch_id",
    "message_key", "region_code", "sent_at", "delivered_at", "updated_at", "text", "metadata",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "timestamp", "message_id", "status", "description", "reason_code", "reason",
    "error_code", "price", "to", "from", "channel",
)  # fmt: skip

_FILTERS = {
    "format": "csv (default) or ndjson",
    "status": "filter by status (repeat or comma-separate)",
    "channel": "filter by channel",
    "to": "filter by recipient (E.164)",
    "from": "filter by sender",
    "batch_id": "filter by batch",
    "created_after": "ISO 8601 or Unix seconds (inclusive)",
    "created_before": "ISO 8601 or Unix seconds (exclusive)",
}


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


def add_export_routes(router: Router, ctx: Context) -> None:
    """Add the export routes to the native router."""

    async def scope(request: Request) -> Any:
        principal = await ctx.auth.principal(bearer_token(request))
        return await ctx.auth.scope(principal, request.header("x-profile-id"))

    @router.get("/messages/export", query=_FILTERS)
    async def export_messages(request: Request) -> StreamingResponse:
        """Every message matching the listing's filters, newest first, as CSV or NDJSON."""
        sc = await scope(request)
        fmt = _format(request)
        flt = message_filter(request)
        pages = exports.message_pages(ctx.db, sc, flt)
        body = encode(pages, lambda m: presenters.message(m, events=False), fmt, MESSAGE_COLUMNS)
        return StreamingResponse(body, 200, _headers("messages", fmt))

    @router.get("/activities/export", query={**_FILTERS, "message_id": "filter by message"})
    async def export_activities(request: Request) -> StreamingResponse:
        """Every activity matching the listing's filters, newest first, as CSV or NDJSON."""
        sc = await scope(request)
        fmt = _format(request)
        flt = activity_filter(request)
        pages = exports.activity_pages(ctx.db, sc, flt)
        body = encode(pages, presenters.activity, fmt, ACTIVITY_COLUMNS)
        return StreamingResponse(body, 200, _headers("activities", fmt))
