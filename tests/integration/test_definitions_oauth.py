"""Send definitions holding and releasing their queue, OAuth tokens, batches by owner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.definitions import service as definitions
from signalpost.definitions.exceptions import (
    DefinitionExists,
    DefinitionNotFound,
    InvalidDefinitionOperation,
)
from signalpost.definitions.schemas import (
    DefinitionFilter,
    DefinitionPatch,
    DefinitionSpec,
    DefinitionStatus,
)
from signalpost.messages import service as messages
from signalpost.messages.exceptions import MessageNotFound, MessageNotOwned
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.oauth import service as oauth
from signalpost.oauth.exceptions import (
    AccountNotAllowed,
    InvalidClient,
    InvalidToken,
    MissingToken,
)
from signalpost.oauth.schemas import TokenGrant
from tests.support.databases import DbTarget


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(
        database_url=db_target.url, database_schema=db_target.schema, simulator_latency_ms=0
    )
    context = await Context.open(settings)
    yield context
    await context.close()


async def _org(ctx: Context, name: str = "Test") -> Scope:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, name)
    return Scope(org.id, None)


async def _send_through(ctx: Context, scope: Scope, key: str, *numbers: str) -> list[str]:
    async with ctx.db.transaction() as conn:
        definition = await definitions.get_for_send(conn, scope, key)
        spec = SendSpec(
            recipients=tuple(RecipientSpec(n, text=f"hi {n}") for n in numbers),
            text=definition.content,
            hold_key=definition.hold_key,
            held=definition.status == DefinitionStatus.INACTIVE,
        )
        result = await messages.send(conn, ctx.send_policy, scope, spec)
    return [m.id for m in result.messages]


async def _statuses(ctx: Context, scope: Scope, ids: list[str]) -> list[str]:
    async with ctx.db.reader() as conn:
        found = {m.id: m.status for m in await messages.get_many(conn, scope, ids)}
    return [found[i] for i in ids]


async def test_inactive_definition_holds_until_active(ctx: Context) -> None:
    scope = await _org(ctx)
    spec = DefinitionSpec(key="k", name="n", content="c", status=DefinitionStatus.INACTIVE)
    async with ctx.db.transaction() as conn:
        await definitions.create(conn, scope, spec)
    held = await _send_through(ctx, scope, "k", "+14155551234", "+14155551235")
    assert await ctx.dispatcher.run_once("w") == 0  # nothing is due while held
    async with ctx.db.reader() as conn:
        depth = await definitions.queue_depth(conn, scope, "k")
    assert depth.count == 2
    assert depth.oldest_created_at is not None
    assert await _statuses(ctx, scope, held) == ["queued", "queued"]

    async with ctx.db.transaction() as conn:
        changed = await definitions.update(
            conn, scope, "k", DefinitionPatch(status=DefinitionStatus.ACTIVE, content="new")
        )
    assert changed.content == "new"
    assert await ctx.dispatcher.run_once("w") == 2
    assert await _statuses(ctx, scope, held) == ["sent", "sent"]

    # deactivating again parks what is waiting; clearing the queue cancels it
    async with ctx.db.transaction() as conn:
        await definitions.update(
            conn, scope, "k", DefinitionPatch(status=DefinitionStatus.INACTIVE)
        )
    later = await _send_through(ctx, scope, "k", "+14155551236")
    async with ctx.db.transaction() as conn:
        assert await definitions.clear_queue(conn, ctx.recorder, scope, "k") == 1
    assert await _statuses(ctx, scope, later) == ["cancelled"]
    assert await ctx.dispatcher.run_once("w") == 0


async def test_definition_keys_names_and_archive(ctx: Context) -> None:
    scope = await _org(ctx)
    other = await _org(ctx, "Other")
    async with ctx.db.transaction() as conn:
        await definitions.create(conn, scope, DefinitionSpec(key="a", name="A", content="x"))
        await definitions.create(conn, other, DefinitionSpec(key="a", name="A", content="y"))
    with pytest.raises(DefinitionExists):
        async with ctx.db.transaction() as conn:
            await definitions.create(conn, scope, DefinitionSpec(key="a", name="B", content="x"))
    with pytest.raises(DefinitionExists):
        async with ctx.db.transaction() as conn:
            await definitions.create(conn, scope, DefinitionSpec(key="b", name="A", content="x"))
    async with ctx.db.transaction() as conn:
        with pytest.raises(InvalidDefinitionOperation):
            await definitions.clear_queue(conn, ctx.recorder, scope, "a")
        await definitions.archive(conn, ctx.recorder, scope, "a")
        with pytest.raises(DefinitionNotFound):
            await definitions.get(conn, scope, "a")
        again = await definitions.create(
            conn, scope, DefinitionSpec(key="a", name="A", content="z")
        )
    assert again.content == "z"
    async with ctx.db.reader() as conn:
        live = await definitions.list_definitions(
            conn, scope, DefinitionFilter(), page=1, page_size=10
        )
        gone = await definitions.list_definitions(
            conn, scope, DefinitionFilter(status=DefinitionStatus.DELETED), page=1, page_size=10
        )
        theirs = await definitions.get(conn, other, "a")
    assert [d.content for d in live.items] == ["z"]
    assert live.total == 1
    assert [d.status for d in gone.items] == [DefinitionStatus.DELETED]
    assert theirs.content == "y"


async def test_tokens_act_for_the_right_tenant(ctx: Context) -> None:
    scope = await _org(ctx)
    async with ctx.db.transaction() as conn:
        profile = await accounts.create_profile(conn, scope.organization_id, "Child")
        client = await oauth.create_client(conn, scope.organization_id)
        pinned = await oauth.create_client(conn, scope.organization_id, profile.id)
        own = await oauth.issue_token(
            conn, TokenGrant(client.client_id, client.client_secret), lifetime_seconds=60
        )
        child = await oauth.issue_token(
            conn,
            TokenGrant(client.client_id, client.client_secret, account_id=profile.id),
            lifetime_seconds=60,
        )
        pinned_token = await oauth.issue_token(
            conn, TokenGrant(pinned.client_id, pinned.client_secret), lifetime_seconds=60
        )
        expired = await oauth.issue_token(
            conn, TokenGrant(client.client_id, client.client_secret), lifetime_seconds=-1
        )
        with pytest.raises(InvalidClient):
            await oauth.issue_token(
                conn, TokenGrant(client.client_id, "wrong"), lifetime_seconds=60
            )
        with pytest.raises(AccountNotAllowed):
            await oauth.issue_token(
                conn,
                TokenGrant(
                    pinned.client_id, pinned.client_secret, account_id=scope.organization_id
                ),
                lifetime_seconds=60,
            )
    tokens = oauth.TokenAuthenticator(ctx.db)
    assert await tokens.scope(own.access_token) == scope
    assert await tokens.scope(child.access_token) == Scope(scope.organization_id, profile.id)
    assert await tokens.scope(pinned_token.access_token) == Scope(scope.organization_id, profile.id)
    for bad in (expired.access_token, "nope", None):
        with pytest.raises(InvalidToken if bad else MissingToken):
            await tokens.scope(bad)


async def test_batches_tell_unknown_from_foreign(ctx: Context) -> None:
    scope = await _org(ctx)
    other = await _org(ctx, "Other")
    spec = SendSpec(
        recipients=(
            RecipientSpec("+14155551234", metadata={"contactKey": "a"}),
            RecipientSpec("+14155551235"),
        ),
        text="hello",
        metadata={"k": "v"},
    )
    async with ctx.db.transaction() as conn:
        result = await messages.send(conn, ctx.send_policy, scope, spec)
    async with ctx.db.reader() as conn:
        batch = await messages.get_batch(conn, scope, result.batch_id)
        with pytest.raises(MessageNotOwned):
            await messages.get_batch(conn, other, result.batch_id)
        with pytest.raises(MessageNotFound):
            await messages.get_batch(conn, scope, "00000000-0000-0000-0000-000000000000")
    assert {m.to_number for m in batch} == {"+14155551234", "+14155551235"}
    metadata = sorted(m.metadata or "" for m in batch)
    assert metadata == ['{"k":"v","contactKey":"a"}', '{"k":"v"}']
