"""The native /v1/webhooks routes, in-process over ASGI, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from signalpost.accounts import service as accounts
from signalpost.api.app import create_app
from signalpost.config import Settings
from signalpost.context import Context
from tests.support.databases import DbTarget
from tests.support.webhook_receiver import Receiver, running_receiver

Client = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client(db_target: DbTarget) -> AsyncIterator[Client]:
    """``await client(allow_private=...)``: an API client of a new organization."""
    opened: list[tuple[Context, httpx.AsyncClient]] = []

    async def make(*, allow_private: bool = True) -> httpx.AsyncClient:
        settings = Settings(
            database_url=db_target.url,
            database_schema=db_target.schema,
            allow_private_webhooks=allow_private,
            webhook_retry_base_seconds=0.05,
        )
        ctx = await Context.open(settings)
        async with ctx.db.transaction() as conn:
            org = await accounts.create_organization(conn, "Acme")
            key = await accounts.create_api_key(conn, org.id, name="test")
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(ctx)),  # type: ignore[arg-type]
            base_url="http://signalpost.test",
            headers={"Authorization": f"Bearer {key.api_key}"},
        )
        opened.append((ctx, http))
        return http

    yield make
    for ctx, http in opened:
        await http.aclose()
        await ctx.close()


@pytest.fixture
def receiver() -> Any:
    with running_receiver() as rx:
        yield rx


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9000/",
    ],
)
async def test_private_urls_are_refused_unless_allowed(client: Client, url: str) -> None:
    api = await client(allow_private=False)
    response = await api.post("/v1/webhooks", json={"url": url})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "webhook_url_not_allowed"
    assert "public address" in error["message"]
    assert error["details"]["url"]
    assert (await api.get("/v1/webhooks")).json()["data"] == []
    allowed = await client(allow_private=True)
    assert (await allowed.post("/v1/webhooks", json={"url": url})).status_code == 201


async def test_bad_input_gets_clear_errors(client: Client) -> None:
    api = await client()
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"url": "ftp://example.com/"}, "invalid_webhook_url", "url"),
        ({"url": "not a url"}, "invalid_webhook_url", "url"),
        ({"url": "https://x.example/", "event_types": ["message.nope"]}, "unknown_event_type", ""),
        ({}, "validation_failed", "url"),
        ({"url": "https://x.example/", "secret": "mine"}, "validation_failed", "secret"),
    ]
    for body, code, field in cases:
        response = await api.post("/v1/webhooks", json=body)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == code, body
        if field:
            assert field in error["details"], body
    assert (await api.get("/v1/webhooks/not-an-id")).status_code == 404
    missing = await api.get("/v1/webhooks/2b1f6c4e-8d2a-4a8e-9a3f-7f1c2d3e4f50")
    assert missing.json()["error"]["code"] == "webhook_not_found"
    bad_patch = await api.patch("/v1/webhooks/2b1f6c4e-8d2a-4a8e-9a3f-7f1c2d3e4f50", json={})
    assert bad_patch.status_code == 404


async def test_endpoint_lifecycle_and_tenancy(client: Client) -> None:
    api = await client()
    created = await api.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/a", "event_types": ["message"], "description": "ops"},
    )
    assert created.status_code == 201
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["dialect"] == "native"
    path = f"/v1/webhooks/{endpoint['id']}"
    shown = (await api.get(path)).json()
    assert "secret" not in shown
    assert shown["event_types"] == ["message"]
    patched = await api.patch(path, json={"enabled": False, "description": None})
    assert patched.json()["enabled"] is False
    assert patched.json()["disabled_reason"] == "Disabled through the API"
    assert patched.json()["description"] is None
    again = await api.patch(path, json={"enabled": True, "event_types": ["message.failed"]})
    assert again.json()["enabled"] is True
    assert again.json()["disabled_reason"] is None
    assert (await api.patch(path, json={"url": None})).status_code == 422
    intruder = await client()
    assert (await intruder.get(path)).status_code == 404
    assert (await intruder.delete(path)).status_code == 404
    assert (await intruder.get("/v1/webhooks")).json()["data"] == []
    assert (await api.delete(path)).status_code == 204
    assert (await api.get(path)).status_code == 404


async def test_test_send_rotation_log_and_retry(client: Client, receiver: Receiver) -> None:
    api = await client()
    endpoint = (await api.post("/v1/webhooks", json={"url": receiver.url()})).json()
    base = f"/v1/webhooks/{endpoint['id']}"
    tested = (await api.post(f"{base}/test")).json()
    assert tested["success"] is True
    delivery = tested["delivery"]
    assert delivery["status"] == "delivered"
    assert delivery["attempt_log"][0]["status_code"] == 200
    first = receiver.requests()[0]
    assert Webhook(endpoint["secret"]).verify(first.body, first.headers)["type"] == "webhook.test"

    rotated = (await api.post(f"{base}/rotate-secret")).json()
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    await api.post(f"{base}/test")
    second = receiver.requests()[1]
    for secret in (endpoint["secret"], rotated["secret"]):
        Webhook(secret).verify(second.body, second.headers)

    receiver.answer("/hook", status=500)
    failed = (await api.post(f"{base}/test")).json()
    assert failed["success"] is False
    assert failed["delivery"]["status"] == "pending"
    assert failed["delivery"]["last_error"] == "HTTP 500"

    log = (await api.get(f"{base}/deliveries", params={"limit": 2})).json()
    assert log["data"][0]["id"] == failed["delivery"]["id"]
    rest = (await api.get(f"{base}/deliveries", params={"cursor": log["next_cursor"]})).json()
    assert len(log["data"]) + len(rest["data"]) == 3
    assert rest["next_cursor"] is None
    only_pending = (await api.get(f"{base}/deliveries", params={"status": "pending"})).json()
    assert [d["id"] for d in only_pending["data"]] == [failed["delivery"]["id"]]
    bad_status = await api.get(f"{base}/deliveries", params={"status": "lost"})
    assert bad_status.status_code == 422

    receiver.answer("/hook", status=200)
    again = await api.post(f"/v1/webhooks/deliveries/{delivery['id']}/retry")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "webhook_delivery_delivered"
    retried = await api.post(f"/v1/webhooks/deliveries/{failed['delivery']['id']}/retry")
    assert retried.status_code == 202
    assert retried.json()["status"] == "pending"
    detail = (await api.get(f"/v1/webhooks/deliveries/{delivery['id']}")).json()
    assert detail["payload"]["type"] == "webhook.test"
    assert detail["payload"]["id"] == delivery["id"]

    attempts = (await api.get("/v1/webhooks/attempts")).json()["data"]
    assert [a["status_code"] for a in attempts] == [500, 200, 200]
    tail = (await api.get("/v1/webhooks/attempts", params={"after": attempts[-1]["id"]})).json()
    assert [a["status_code"] for a in tail["data"]] == [200, 500]


async def test_retry_needs_an_enabled_endpoint(client: Client, receiver: Receiver) -> None:
    api = await client()
    endpoint = (await api.post("/v1/webhooks", json={"url": receiver.url()})).json()
    delivery = (await api.post(f"/v1/webhooks/{endpoint['id']}/test")).json()["delivery"]
    await api.patch(f"/v1/webhooks/{endpoint['id']}", json={"enabled": False})
    refused = await api.post(f"/v1/webhooks/deliveries/{delivery['id']}/retry")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "webhook_disabled"
    assert (await api.post("/v1/webhooks/deliveries/nope/retry")).status_code == 404
