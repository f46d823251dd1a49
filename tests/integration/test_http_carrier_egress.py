"""HTTP carriers send through the guarded egress client, over real sockets: a provider
whose host resolves to a loopback address is refused unless the carriers file allows it
on that provider, and with the allowance submits, idempotency keys, Retry-After, lost
answers and polling behave as against any provider."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest
from aiohttp import web

from signalpost.carriers.base import NO_RESPONSE, Submission, SubmitOutcome
from signalpost.carriers.http import HttpCarrier, ProviderConfig
from signalpost.carriers.smpp.config import ConfigError, parse_config
from signalpost.carriers.smpp.wiring import http_carrier
from signalpost.domain.lifecycle import Status
from signalpost.storage import Database

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Provider:
    """A sent.dm-shaped provider on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.submits: list[dict[str, Any]] = []
        self.throttle = False
        self.hold: asyncio.Event | None = None  # set: answer submits only once it is set

    async def submit(self, request: web.Request) -> web.Response:
        body = await request.json()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.submits.append({"headers": headers, "body": body})
        if self.hold is not None:
            await self.hold.wait()
        if self.throttle:
            return web.json_response({"error": None}, status=429, headers={"Retry-After": "30"})
        data = {"recipients": [{"message_id": f"up-{len(self.submits)}", "to": body["to"][0]}]}
        return web.json_response({"success": True, "data": data, "error": None}, status=202)

    async def status(self, request: web.Request) -> web.Response:
        data = {"id": request.match_info["id"], "status": "DELIVERED"}
        return web.json_response({"success": True, "data": data, "error": None})


@asynccontextmanager
async def serving(provider: Provider) -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_post("/v3/messages", provider.submit)
    app.router.add_get("/v3/messages/{id}", provider.status)
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        if provider.hold is not None:
            provider.hold.set()
        await runner.cleanup()


async def to_loopback(host: str, port: int) -> list[str]:
    """DNS under the test's control: every name resolves to 127.0.0.1."""
    del host, port
    return ["127.0.0.1"]


@asynccontextmanager
async def carrier(port: int, **settings: Any) -> AsyncIterator[HttpCarrier]:
    config = ProviderConfig(
        name="upstream",
        kind="sentdm",
        base_url=f"http://upstream.example:{port}",
        api_key="key-1",
        channels=frozenset({"sms"}),
        **settings,
    )
    made = http_carrier(config, cast(Database, None), resolver=to_loopback)
    try:
        yield made
    finally:
        await made.stop()


def submission(mid: str = "m-1") -> Submission:
    return Submission("a-" + mid, mid, "+14155551234", None, "Hello", "sms", "gsm7", 1, 0)


@pytest.fixture
async def provider() -> AsyncIterator[tuple[Provider, int]]:
    found = Provider()
    async with serving(found) as port:
        yield found, port


async def test_a_provider_resolving_to_loopback_is_refused_without_the_allowance(
    provider: tuple[Provider, int],
) -> None:
    upstream, port = provider
    async with carrier(port) as up:
        [result] = await up.submit([submission()])
        receipt = await up._fetch_quietly("up-1")
    assert (result.outcome, result.error_code) == (SubmitOutcome.TRANSIENT, "ADDRESS_REFUSED")
    assert "upstream.example resolves to 127.0.0.1, a loopback address" in (result.reason or "")
    assert "allow_private = true" in (result.reason or "")
    assert upstream.submits == []  # nothing left the server
    assert receipt is None  # polling is refused alike (and logged), not an error


async def test_with_the_allowance_it_submits_idempotently_and_polls(
    provider: tuple[Provider, int],
) -> None:
    upstream, port = provider
    async with carrier(port, allow_private=True) as up:
        [first] = await up.submit([submission()])
        [again] = await up.submit([submission()])
        receipt = await up._fetch("up-1")
    assert (first.outcome, first.carrier_message_id) == (SubmitOutcome.ACCEPTED, "up-1")
    assert again.outcome == SubmitOutcome.ACCEPTED
    keys = [s["headers"]["idempotency-key"] for s in upstream.submits]
    assert keys == ["m-1", "m-1"]  # a repeated submit carries the same key
    assert upstream.submits[0]["headers"]["host"] == f"upstream.example:{port}"
    assert upstream.submits[0]["headers"]["x-api-key"] == "key-1"
    assert receipt is not None
    assert (receipt.carrier_message_id, receipt.status) == ("up-1", Status.DELIVERED)


async def test_retry_after_pauses_the_provider(provider: tuple[Provider, int]) -> None:
    upstream, port = provider
    upstream.throttle = True
    async with carrier(port, allow_private=True) as up:
        [first] = await up.submit([submission()])
        paused = up.available
        [second] = await up.submit([submission("m-2")])
    assert first.outcome == SubmitOutcome.TRANSIENT
    assert not paused
    assert (second.outcome, second.error_code) == (SubmitOutcome.TRANSIENT, "THROTTLED")
    assert len(upstream.submits) == 1  # nothing sent while paused


async def test_an_answer_that_does_not_come_in_time_is_no_response(
    provider: tuple[Provider, int],
) -> None:
    upstream, port = provider
    upstream.hold = asyncio.Event()
    async with carrier(port, allow_private=True, timeout_seconds=0.3) as up:
        [result] = await up.submit([submission()])
    upstream.hold.set()
    assert (result.outcome, result.error_code) == (SubmitOutcome.TRANSIENT, NO_RESPONSE)
    assert "timed out after 0.3 s waiting for a response" in (result.reason or "")
    assert len(upstream.submits) == 1  # it went out: asked again, never failed over


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://[::1]:9000",
        "http://[::ffff:10.0.0.1]",
        "https://169.254.169.254",
    ],
)
def test_a_literal_non_public_base_url_stops_the_carriers_file(base_url: str) -> None:
    provider = {"name": "up", "kind": "sentdm", "base_url": base_url, "api_key": "k"}
    with pytest.raises(ConfigError, match="set allow_private = true on this provider"):
        parse_config({"providers": [provider]})
    allowed = parse_config({"providers": [{**provider, "allow_private": True}]})
    assert allowed.providers[0].allow_private
