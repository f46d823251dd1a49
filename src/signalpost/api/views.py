"""Rendered views of messages, reused while a message is unchanged (polled status lookups).

Rendering is the dialects' business: each keeps a :class:`ViewCache` and hands
:func:`message_view` its own :data:`Render`.  The messages service gives what the reuse
needs: a message's version, read in one cheap statement, and the message itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message
from signalpost.storage import Connection

__all__ = ["Render", "ViewCache", "message_view"]


class ViewCache:
    """Rendered views of messages (response bodies), reused while a message is unchanged.

    Status lookups are polled: clients ask for the same message again and again until it
    reaches a final state.  Every lookup still reads the message's version (its revision,
    which every update of its row bumps, and the id of its newest activity: one indexed,
    tenant-checked statement); only when it is exactly the version a cached view was
    rendered from is that view reused.  Bounded: the oldest entry goes when a new one
    would exceed ``size``.
    """

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._entries: dict[str, tuple[tuple[Any, ...], bytes]] = {}

    def get(self, message_id: str, version: tuple[Any, ...]) -> bytes | None:
        hit = self._entries.get(message_id)
        return hit[1] if hit is not None and hit[0] == version else None

    def put(self, message_id: str, version: tuple[Any, ...], body: bytes) -> None:
        entries = self._entries
        entries.pop(message_id, None)
        if len(entries) >= self._size:
            del entries[next(iter(entries))]
        entries[message_id] = (version, body)

    def __len__(self) -> int:
        return len(self._entries)


Render = Callable[[Connection, Scope, Message], Awaitable[tuple[bytes, bool]]]
"""A message's view as bytes, and whether it may be cached (it depends only on the message);
given the lookup's connection and tenant for whatever else the view shows."""


async def message_view(
    conn: Connection, scope: Scope, message_id: str, cache: ViewCache, render: Render
) -> bytes:
    """The rendered view of a tenant's message, from ``cache`` while it is unchanged."""
    version = await messages.get_version(conn, scope, message_id)
    body = cache.get(message_id, version)
    if body is not None:
        return body
    message = await messages.get_message(conn, scope, message_id)
    body, cacheable = await render(conn, scope, message)
    if cacheable:
        cache.put(message_id, messages.version_of(message), body)
    return body
