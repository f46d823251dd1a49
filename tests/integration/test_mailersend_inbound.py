"""MailerSend inbound routes in-process on both databases: a received SMS to a number is
forwarded to the routes of that number whose filter it passes, signed like a webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import orjson
import pytest

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.api.app import create_app
from signalpost.api.mailersend import ids
from signalpost.api.mailersend.events import verify
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.messages.inbound import InboundMessage, receive
from signalpost.numbers import service as numbers
from signalpost.timeutil import now_us
from signalpost.webhooks import formats
from signalpost.webhooks import service as webhooks
from tests.support.databases import DbTarget

NUMBER = "+14155550100"


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        allow_private_webhooks=True,
        webhook_endpoint_cache_seconds=0,
    )
    context = await Context.open(settings)
    yield context
    await context.close()


async def _account(ctx: Context) -> tuple[Scope, str, str]:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, "Acme")
        key = await accounts.create_api_key(conn, org.id)
        scope = Scope(org.id, None)
        number = await numbers.register(conn, scope, NUMBER)
    return scope, key.api_key, number.id


@asynccontextmanager
async def _api(ctx: Context, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """The application in-process, called as the account."""
    transport = httpx.ASGITransport(app=create_app(ctx))  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as api:
        yield api


async def _receive(ctx: Context, scope: Scope, text: str, to: str = NUMBER) -> str:
    item = InboundMessage(
        scope.organization_id, scope.tenant_id, "+14155559876", to, text, now_us()
    )
    async with ctx.db.transaction() as conn:
        [message_id] = await receive(conn, ctx.recorder, [item])
    return message_id


async def test_received_sms_is_forwarded_through_the_filter(ctx: Context) -> None:
    scope, api_key, number_id = await _account(ctx)
    async with _api(ctx, api_key) as api:
        created = await api.post(
            "/v1/sms-inbounds",
            json={
                "sms_number_id": ids.short_id(number_id),
                "name": "Stop words",
                "forward_url": "http://127.0.0.1:9/inbound",
                "filter": {"comparer": "starts-with", "value": "stop"},
                "enabled": None,
            },
        )
        assert created.status_code == 201, created.text
        route = created.json()["data"]
        assert route["enabled"] is True
        assert route["filter"] == {"comparer": "starts-with", "value": "stop"}
        assert route["sms_number"]["telephone_number"] == NUMBER
        listed = await api.get("/v1/sms-inbounds", params={"enabled": "True"})
        assert [r["id"] for r in listed.json()["data"]] == [route["id"]]
        assert (await api.get("/v1/sms-inbounds", params={"enabled": "0"})).json()["data"] == []

        passing = await _receive(ctx, scope, "STOP please")
        await _receive(ctx, scope, "hello there")  # filtered out
        await _receive(ctx, scope, "stop", to="+14155550111")  # another number

        async with ctx.db.reader() as conn:
            [delivery] = await webhooks.list_deliveries(conn, scope, route["id"], limit=10)
        assert delivery.event_type.startswith("sms.inbound")
        body = delivery.payload.encode()
        payload = orjson.loads(body)
        assert payload["type"] == "sms.inbound"
        assert payload["sms_inbound_id"] == route["id"]
        assert payload["data"]["id"] == ids.sms_id(passing)
        assert payload["data"]["text"] == "STOP please"
        assert payload["data"]["to"] == NUMBER
        signature = formats.get("mailersend").headers(route["secret"], delivery.id, 0, body)
        assert verify(route["secret"], body, signature["Signature"])

        changed = await api.put(
            f"/v1/sms-inbounds/{route['id']}",
            json={"filter": {"comparer": "not-contains", "value": "spam"}, "enabled": False},
        )
        assert changed.json()["data"]["filter"]["comparer"] == "not-contains"
        assert changed.json()["data"]["enabled"] is False
        assert (await api.delete(f"/v1/sms-inbounds/{route['id']}")).status_code == 204
        assert (await api.get(f"/v1/sms-inbounds/{route['id']}")).status_code == 404


async def test_route_needs_the_accounts_number(ctx: Context) -> None:
    _scope, api_key, _number_id = await _account(ctx)
    async with _api(ctx, api_key) as api:
        refused = await api.post(
            "/v1/sms-inbounds",
            json={"sms_number_id": "0" * 32, "name": "x", "forward_url": "http://127.0.0.1:9/"},
        )
        missing = await api.post("/v1/sms-inbounds", json={"name": "x"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"sms_number_id": ["The selected sms number id is invalid."]}
    assert missing.status_code == 422
    assert missing.json()["errors"]["forward_url"] == ["The forward url field is required."]
