"""API key lifecycle over the native API, in-process over ASGI, on both databases."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from signalpost.accounts import service as accounts
from signalpost.api.app import create_app
from signalpost.config import Settings
from signalpost.context import Context
from tests.support.databases import DbTarget


@dataclass
class Deployment:
    ctx: Context
    http: httpx.AsyncClient
    org_id: str
    api_key: str

    async def call(
        self, method: str, path: str, key: str | None = None, **kw: object
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.api_key}"}
        return await self.http.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]


Opener = Callable[..., Awaitable[Deployment]]


@pytest.fixture
async def open_deployment(db_target: DbTarget) -> AsyncIterator[Opener]:
    """``await open_deployment(org_id=None)``: a process-like context with its own key cache;
    two of them on one database stand for two processes."""
    opened: list[Deployment] = []

    async def make(*, org_id: str | None = None, api_key: str = "") -> Deployment:
        settings = Settings(
            database_url=db_target.url,
            database_schema=db_target.schema,
            api_key_cache_seconds=300,
            webhook_delivery=False,
        )
        ctx = await Context.open(settings)
        if org_id is None:
            async with ctx.db.transaction() as conn:
                org = await accounts.create_organization(conn, "Acme")
                key = await accounts.create_key(conn, org.id, name="admin")
            org_id, api_key = org.id, key.api_key
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(ctx)),  # type: ignore[arg-type]
            base_url="http://signalpost.test",
        )
        deployment = Deployment(ctx, http, org_id, api_key)
        opened.append(deployment)
        return deployment

    yield make
    for d in opened:
        await d.http.aclose()
        await d.ctx.close()


async def test_create_list_revoke(open_deployment: Opener) -> None:
    api = await open_deployment()
    created = await api.call("POST", "/v1/keys", json={"name": "ci", "kind": "test"})
    assert created.status_code == 201, created.text
    new = created.json()
    assert new["kind"] == "test"
    assert new["api_key"].startswith(new["prefix"])
    listed = (await api.call("GET", "/v1/keys")).json()["data"]
    assert [k["name"] for k in listed] == ["admin", "ci"]
    assert all("api_key" not in k and k["state"] == "active" for k in listed)
    assert new["api_key"] not in (await api.call("GET", "/v1/keys")).text

    spare = (await api.call("POST", "/v1/keys", json={"name": "spare"})).json()
    assert (await api.call("GET", "/v1/messages", spare["api_key"])).status_code == 200
    revoked = await api.call("DELETE", f"/v1/keys/{spare['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    refused = await api.call("GET", "/v1/messages", spare["api_key"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    again = await api.call("DELETE", f"/v1/keys/{spare['id']}")
    assert again.status_code == 200  # revoking twice is harmless


async def test_keys_of_another_organization_are_not_found(open_deployment: Opener) -> None:
    a = await open_deployment()
    b = await open_deployment()
    other = (await b.call("POST", "/v1/keys", json={"name": "b"})).json()
    for method, path in (
        ("DELETE", f"/v1/keys/{other['id']}"),
        ("POST", f"/v1/keys/{other['id']}/rotate"),
        ("DELETE", "/v1/keys/no-such-key"),
    ):
        response = await a.call(method, path)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "api_key_not_found"
    assert (await b.call("GET", "/v1/messages", other["api_key"])).status_code == 200


async def test_test_keys_and_profile_keys_are_limited(open_deployment: Opener) -> None:
    api = await open_deployment()
    test_key = (await api.call("POST", "/v1/keys", json={"kind": "test"})).json()
    refused = await api.call("GET", "/v1/keys", test_key["api_key"])
    assert refused.status_code == 403
    profile = (await api.call("POST", "/v1/profiles", json={"name": "Shop"})).json()
    made = await api.call("POST", "/v1/keys", json={"profile_id": profile["id"]})
    assert made.status_code == 201, made.text
    profile_key = made.json()
    assert profile_key["profile_id"] == profile["id"]
    own = (await api.call("GET", "/v1/keys", profile_key["api_key"])).json()["data"]
    assert [k["id"] for k in own] == [profile_key["id"]]
    all_keys = (await api.call("GET", "/v1/keys")).json()["data"]
    admin_id = next(k["id"] for k in all_keys if k["name"] == "admin")
    response = await api.call("DELETE", f"/v1/keys/{admin_id}", profile_key["api_key"])
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body", [{"kind": "staging"}, {"name": "x" * 201}, {"extra": 1}, {"profile_id": "nope"}]
)
async def test_bad_key_requests_are_4xx(open_deployment: Opener, body: dict[str, object]) -> None:
    api = await open_deployment()
    response = await api.call("POST", "/v1/keys", json=body)
    assert response.status_code in (404, 422), response.text
    assert "error" in response.json()


async def test_rotation_keeps_the_old_secret_for_its_grace_period(open_deployment: Opener) -> None:
    api = await open_deployment()
    old = (await api.call("POST", "/v1/keys", json={"name": "deploy"})).json()
    rotated = await api.call("POST", f"/v1/keys/{old['id']}/rotate", json={"grace_seconds": 3600})
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert new["id"] != old["id"]
    assert new["name"] == "deploy"
    for key in (old["api_key"], new["api_key"]):
        assert (await api.call("GET", "/v1/messages", key)).status_code == 200
    listed = {k["id"]: k for k in (await api.call("GET", "/v1/keys")).json()["data"]}
    assert listed[old["id"]]["state"] == "expiring"
    assert listed[old["id"]]["replaced_by"] == new["id"]
    assert listed[new["id"]]["state"] == "active"

    # Rotating again with no grace ends the new secret at once; a rotation never
    # lengthens a grace period already running.
    newest = (await api.call("POST", f"/v1/keys/{new['id']}/rotate")).json()
    assert (await api.call("GET", "/v1/messages", new["api_key"])).status_code == 401
    assert (await api.call("GET", "/v1/messages", newest["api_key"])).status_code == 200
    bad = await api.call("POST", f"/v1/keys/{old['id']}/rotate", json={"grace_seconds": -1})
    assert bad.status_code == 422


async def test_a_short_grace_period_ends(open_deployment: Opener) -> None:
    api = await open_deployment()
    old = (await api.call("POST", "/v1/keys", json={})).json()
    assert (await api.call("GET", "/v1/messages", old["api_key"])).status_code == 200
    await api.call("POST", f"/v1/keys/{old['id']}/rotate", json={"grace_seconds": 1})
    assert (await api.call("GET", "/v1/messages", old["api_key"])).status_code == 200
    deadline = time.monotonic() + 30
    while (await api.call("GET", "/v1/messages", old["api_key"])).status_code == 200:
        assert time.monotonic() < deadline, "the old secret still works after its grace period"
        await _pause()


async def test_a_revocation_reaches_another_process(open_deployment: Opener) -> None:
    first = await open_deployment()
    second = await open_deployment(org_id=first.org_id, api_key=first.api_key)
    spare = (await first.call("POST", "/v1/keys", json={"name": "spare"})).json()
    assert (await second.call("GET", "/v1/messages", spare["api_key"])).status_code == 200
    await first.call("DELETE", f"/v1/keys/{spare['id']}")
    # The second context caches keys for 300 s: only the change counter can tell it.
    deadline = time.monotonic() + 30
    while (await second.call("GET", "/v1/messages", spare["api_key"])).status_code == 200:
        assert time.monotonic() < deadline, "the other process still accepts a revoked key"
        await _pause()
    assert (await second.call("GET", "/v1/messages")).status_code == 200


async def test_last_used_is_written_in_batches(open_deployment: Opener) -> None:
    api = await open_deployment()
    for _ in range(5):
        assert (await api.call("GET", "/v1/messages")).status_code == 200
    listed = (await api.call("GET", "/v1/keys")).json()["data"]
    assert listed[0]["last_used_at"] is None  # not written by the requests themselves
    await api.ctx.auth.flush()
    listed = (await api.call("GET", "/v1/keys")).json()["data"]
    assert listed[0]["last_used_at"] is not None


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.05)
