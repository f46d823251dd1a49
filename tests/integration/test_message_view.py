"""A message's rendered view is reused only while nothing it shows has changed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.api import views
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.domain.lifecycle import Status
from signalpost.messages import repository
from signalpost.messages import service as messages
from signalpost.messages.exceptions import MessageNotFound
from signalpost.messages.schemas import Message, RecipientSpec, SendSpec
from signalpost.messages.transitions import Change
from signalpost.storage import Connection
from signalpost.timeutil import now_us
from tests.support.databases import DbTarget


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(database_url=db_target.url, database_schema=db_target.schema)
    context = await Context.open(settings)
    yield context
    await context.close()


class Renderer:
    """Renders the fields a lookup shows and counts how often it had to."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(
        self, conn: Connection, scope: Scope, message: Message
    ) -> tuple[bytes, bool]:
        del conn, scope
        self.calls += 1
        view = {
            "status": message.status,
            "carrier": message.carrier,
            "attempts": message.attempts,
            "events": [e.status for e in message.events],
        }
        return orjson.dumps(view), True


async def _setup(ctx: Context) -> tuple[Scope, Scope, str]:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, "Mine")
        other = await accounts.create_organization(conn, "Other")
        scope = Scope(org.id, None)
        spec = SendSpec(recipients=(RecipientSpec("+14155551234"),), channels=("sms",), text="hi")
        sent = await messages.send(conn, ctx.send_policy, scope, spec)
    return scope, Scope(other.id, None), sent.messages[0].id


async def _view(ctx: Context, scope: Scope, mid: str, cache: views.ViewCache, r: Renderer) -> dict:  # type: ignore[type-arg]
    async with ctx.db.reader() as conn:
        return dict(orjson.loads(await views.message_view(conn, scope, mid, cache, r)))


async def _apply(ctx: Context, change: Change) -> None:
    async with ctx.db.transaction() as conn:
        await ctx.recorder.apply(conn, [change], strict=False)


async def test_reused_while_unchanged_and_rendered_again_after_any_change(ctx: Context) -> None:
    scope, other, mid = await _setup(ctx)
    cache, render = views.ViewCache(), Renderer()
    first = await _view(ctx, scope, mid, cache, render)
    assert first["status"] == "queued"
    assert await _view(ctx, scope, mid, cache, render) == first
    assert render.calls == 1

    # A state change (a new activity and a new row) shows at once.
    await _apply(ctx, Change(mid, Status.PROCESSED, now_us()))
    second = await _view(ctx, scope, mid, cache, render)
    assert second["status"] == "processed"
    assert second["events"] == [*first["events"], "processed"]
    assert render.calls == 2

    # A change of the row alone (an attempt counted, no new step) shows too.
    async with ctx.db.transaction() as conn:
        row = await repository.get(conn, scope.tenant_id, mid)
        assert row is not None
        await repository.update_states(
            conn,
            [
                {
                    **{k: row[k] for k in ("id", "status", "reason_code", "reason", "updated_at")},
                    **dict.fromkeys(("carrier_message_id", "sent_at", "delivered_at")),
                    "carrier": "sim",
                    "attempts_inc": 1,
                }
            ],
        )
    third = await _view(ctx, scope, mid, cache, render)
    assert (third["carrier"], third["attempts"], third["status"]) == ("sim", 1, "processed")
    assert render.calls == 3
    assert await _view(ctx, scope, mid, cache, render) == third
    assert render.calls == 3

    # The cache never lets another tenant see the message.
    with pytest.raises(MessageNotFound):
        await _view(ctx, other, mid, cache, render)


async def test_the_cache_is_bounded() -> None:
    cache = views.ViewCache(size=2)
    for n in range(5):
        cache.put(f"m{n}", (n,), b"x")
    assert len(cache) == 2
    assert cache.get("m4", (4,)) == b"x"
    assert cache.get("m0", (0,)) is None
    assert cache.get("m4", (5,)) is None
