"""Reading a tenant's messages: by id, by key, by send request, or a filtered page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.messages import repository as repo
from signalpost.messages.exceptions import InvalidMessageId, MessageNotFound, MessageNotOwned
from signalpost.messages.schemas import Message, MessageFilter
from signalpost.storage import Connection

__all__ = [
    "find_by_keys",
    "get_batch",
    "get_many",
    "get_message",
    "get_version",
    "list_batches",
    "list_messages",
    "parse_message_id",
    "version_of",
]


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_message_id(raw: str) -> str:
    """A canonical UUID string, or :class:`InvalidMessageId`."""
    if _CANONICAL_UUID.fullmatch(raw):  # the form every id is handed out in
        return raw
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise InvalidMessageId() from exc


async def get_message(
    conn: Connection, scope: Scope, message_id: str, *, with_events: bool = True
) -> Message:
    """A message of this tenant with its activities (oldest first); 404 otherwise."""
    if with_events:
        found = await repo.get_with_events(conn, scope.tenant_id, message_id)
        if found is None:
            raise MessageNotFound()
        return found
    row = await repo.get(conn, scope.tenant_id, message_id)
    if row is None:
        raise MessageNotFound()
    return repo.to_message(row)


async def get_version(conn: Connection, scope: Scope, message_id: str) -> tuple[Any, ...]:
    """The version of a tenant's message: it changes whenever anything a view of the message
    shows changes (its row or its events); 404 when the tenant has no such message."""
    version = await repo.get_version(conn, scope.tenant_id, message_id)
    if version is None:
        raise MessageNotFound()
    return version


def version_of(message: Message) -> tuple[Any, ...]:
    """The version of a message read with its events, as :func:`get_version` answers it."""
    return repo.version_of(message)


async def list_messages(
    conn: Connection,
    scope: Scope,
    flt: MessageFilter,
    *,
    limit: int,
    before: tuple[int, str] | None = None,
) -> list[Message]:
    return await repo.search(conn, scope.tenant_id, flt, limit=limit, before=before)


async def list_batches(
    conn: Connection, scope: Scope, *, channel: str, limit: int, offset: int = 0
) -> list[list[Message]]:
    """One page of send requests on a channel (newest first), each with its messages."""
    batch_ids = await repo.batch_page(conn, scope.tenant_id, channel, limit=limit, offset=offset)
    if not batch_ids:
        return []
    grouped: dict[str, list[Message]] = {b: [] for b in batch_ids}
    for row in await repo.in_batches(conn, scope.tenant_id, channel, batch_ids):
        message = repo.to_message(row)
        grouped[message.batch_id].append(message)
    return list(grouped.values())


async def find_by_keys(conn: Connection, scope: Scope, keys: Sequence[str]) -> list[Message]:
    return [repo.to_message(r) for r in await repo.find_by_keys(conn, scope.tenant_id, keys)]


async def get_many(conn: Connection, scope: Scope, message_ids: Sequence[str]) -> list[Message]:
    """This tenant's messages among ``message_ids`` (unknown ids are left out)."""
    if not message_ids:
        return []
    return [repo.to_message(r) for r in await repo.get_many(conn, scope.tenant_id, message_ids)]


async def get_batch(conn: Connection, scope: Scope, batch_id: str) -> list[Message]:
    """The messages one send request created, oldest first.

    404 when no message has this batch id; 403 (:class:`MessageNotOwned`) when the batch
    belongs to another tenant, for dialects whose contract tells the two apart.
    """
    found = [repo.to_message(r) for r in await repo.by_batch(conn, batch_id)]
    if not found:
        raise MessageNotFound()
    if found[0].tenant_id != scope.tenant_id:
        raise MessageNotOwned()
    return found
