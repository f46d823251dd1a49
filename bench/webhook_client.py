"""The reference for the webhooks benchmark: a plain async HTTP client, in its own process.

``python -m bench.webhook_client --url URL --payloads FILE [--client httpx|aiohttp]``
posts every body of ``FILE`` (a JSON array of strings) to ``URL`` with ``--concurrency``
requests in flight over one keep-alive pool, each with headers shaped like a signed
webhook's (a distinct ``webhook-id``, a timestamp and a signature of the usual length,
computed once: signing is part of what the server is measured doing, not the client).
It is what an HTTP client alone manages, with no database, claims or signing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import time
from collections.abc import Awaitable, Callable, Iterator

import orjson

__all__ = ["main"]

Post = Callable[[str, bytes, dict[str, str]], Awaitable[None]]


def _headers(count: int) -> Iterator[dict[str, str]]:
    signature = "v1," + base64.b64encode(bytes(32)).decode()
    stamp = str(int(time.time()))
    for n in range(count):
        yield {
            "content-type": "application/json",
            "webhook-id": f"ref_{n:012d}",
            "webhook-timestamp": stamp,
            "webhook-signature": signature,
        }


async def _drive(post: Post, url: str, bodies: list[bytes], concurrency: int) -> None:
    work = iter(zip(bodies, _headers(len(bodies)), strict=True))

    async def lane() -> None:
        for body, headers in work:
            await post(url, body, headers)

    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def with_httpx(url: str, bodies: list[bytes], concurrency: int) -> None:
    import httpx

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def post(target: str, body: bytes, headers: dict[str, str]) -> None:
            (await client.post(target, content=body, headers=headers)).raise_for_status()

        await _drive(post, url, bodies, concurrency)


async def with_aiohttp(url: str, bodies: list[bytes], concurrency: int) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(target: str, body: bytes, headers: dict[str, str]) -> None:
            async with session.post(target, data=body, headers=headers) as response:
                await response.read()
                response.raise_for_status()

        await _drive(post, url, bodies, concurrency)


CLIENTS = {"httpx": with_httpx, "aiohttp": with_aiohttp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--payloads", required=True)
    parser.add_argument("--client", choices=sorted(CLIENTS), default="httpx")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with open(args.payloads, "rb") as handle:
        bodies = [str(b).encode() for b in orjson.loads(handle.read())]
    run = CLIENTS[args.client](args.url, bodies, args.concurrency)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is installed except on Windows
        asyncio.run(run)
    else:
        uvloop.run(run)


if __name__ == "__main__":
    main()
