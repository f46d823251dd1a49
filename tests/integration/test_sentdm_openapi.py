"""The sent.dm v3 routes as the OpenAPI document shows them, and the headers of their
answers and errors, in-process on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from signalpost.accounts import service as accounts
from signalpost.api.app import create_app
from signalpost.api.openapi import openapi_document
from signalpost.config import Settings
from signalpost.context import Context
from tests.support.databases import DbTarget

V3_HEADERS = ("x-api-version", "x-response-time", "x-request-id")
LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


@pytest.fixture
async def v3(db_target: DbTarget) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    settings = Settings(
        database_url=db_target.url, database_schema=db_target.schema, webhook_delivery=False
    )
    ctx = await Context.open(settings)
    try:
        async with ctx.db.transaction() as conn:
            org = await accounts.create_organization(conn, "Acme")
            key = await accounts.create_key(conn, org.id, name="admin")
        app = create_app(ctx)
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://signalpost.test",
            headers={"x-api-key": key.api_key},
        ) as client:
            yield client, openapi_document(app.routes)
    finally:
        await ctx.close()


async def test_every_answer_is_documented_in_the_envelope(
    v3: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    _, document = v3
    schemas = document["components"]["schemas"]
    operations = [
        (path, op)
        for path, methods in document["paths"].items()
        if path.startswith("/v3/")
        for op in methods.values()
    ]
    assert len(operations) == 28
    for path, op in operations:
        for status, answer in op["responses"].items():
            if status == "204":
                assert "content" not in answer, path
                continue
            schema = answer["content"]["application/json"]["schema"]
            ref = schema.get("$ref")  # the envelope is written out where it is used
            envelope = schemas[ref.rsplit("/", 1)[1]] if ref else schema
            assert set(envelope["required"]) == {"success", "data", "error", "meta"}, path
            assert envelope["properties"]["success"]["const"] is status.startswith("2"), path
        assert {"401", "429"} <= set(op["responses"]), path
        for parameter in op.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"] == {"type": "string", "format": "uuid"}, path


async def test_answers_and_errors_carry_the_v3_and_rate_limit_headers(
    v3: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, _ = v3
    me = await client.get("/v3/me")
    unknown = await client.get("/v3/messages/0190a0b4-7c8e-7000-8000-000000000000")
    bad_profile = await client.get("/v3/me", headers={"x-profile-id": "nope"})
    assert [me.status_code, unknown.status_code, bad_profile.status_code] == [200, 404, 400]
    remaining = []
    for answer in (me, unknown, bad_profile):
        assert all(answer.headers.get(name) for name in V3_HEADERS + LIMIT_HEADERS)
        assert answer.json()["meta"]["request_id"] == answer.headers["x-request-id"]
        remaining.append(int(answer.headers["x-ratelimit-remaining"]))
    assert remaining == [remaining[0], remaining[0] - 1, remaining[0] - 2]
    assert unknown.json()["error"]["code"] == "RESOURCE_003"
    assert bad_profile.json()["error"]["code"] == "VALIDATION_003"

    anonymous = await client.get("/v3/me", headers={"x-api-key": "wrong"})
    assert anonymous.status_code == 401
    assert all(anonymous.headers.get(name) for name in V3_HEADERS)
    assert not any(name in anonymous.headers for name in LIMIT_HEADERS)  # nothing counted
