"""Walks a listing with keyset pages, each read in its own short read: an export of any
size holds one page in memory and never a long transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

from signalpost.accounts.schemas import Scope
from signalpost.activities import service as activities
from signalpost.activities.schemas import ActivityFilter, ActivityWithMessage
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message, MessageFilter
from signalpost.storage import Database

__all__ = ["PAGE", "activity_pages", "message_pages"]

PAGE = 1000


async def message_pages(
    db: Database, scope: Scope, flt: MessageFilter, *, page: int = PAGE
) -> AsyncIterator[list[Message]]:
    """The scope's messages matching ``flt``, newest first, ``page`` at a time."""
    before: tuple[int, str] | None = None
    while True:
        async with db.scanner() as conn:
            rows = await messages.list_messages(conn, scope, flt, limit=page, before=before)
        if rows:
            yield rows
        if len(rows) < page:
            return
        before = (rows[-1].created_at, rows[-1].id)


async def activity_pages(
    db: Database, scope: Scope, flt: ActivityFilter, *, page: int = PAGE
) -> AsyncIterator[list[ActivityWithMessage]]:
    """The scope's activities matching ``flt``, newest first, ``page`` at a time."""
    before: tuple[int, int] | None = None
    while True:
        async with db.scanner() as conn:
            rows = await activities.search(conn, scope, flt, limit=page, before=before)
        if rows:
            yield rows
        if len(rows) < page:
            return
        before = (rows[-1].activity.created_at, rows[-1].activity.id)
