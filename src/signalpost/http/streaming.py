"""A response whose body is produced while it is sent: exports of any size in flat memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from signalpost.http.response import Response

__all__ = ["StreamingResponse"]


class StreamingResponse(Response):
    """Sends each chunk of ``chunks`` as it comes (chunked transfer encoding).

    The server's send waits while the client is slow to read, so a producer that pages
    through the database never runs ahead of the connection.  If the producer fails half
    way, the connection is closed without the final chunk, and the client sees a truncated
    body rather than a complete-looking one.
    """

    __slots__ = ("chunks",)

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        status: int = 200,
        headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        super().__init__(b"", status, headers)
        self.chunks = chunks

    async def send(self, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        async for chunk in self.chunks:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
