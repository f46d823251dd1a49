"""Number pools: a send without a sender picks from the tenant's pool, the same number for
the same recipient every time, of the recipient's country where the pool has one."""

from __future__ import annotations

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.domain.pricing import RateCard
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.messages.transitions import Recorder
from signalpost.numbers import service as numbers
from signalpost.storage import Database

US_POOL = {"+14155550190", "+14155550191"}
GB_POOL = "+447911123450"
US = [f"+1415555{n:04d}" for n in range(3000, 3030)]
GB = "+447911123456"


async def _sends(db: Database, scope: Scope, policy: messages.SendPolicy) -> dict[str, str | None]:
    spec = SendSpec(recipients=tuple(RecipientSpec(n) for n in [*US, GB]), text="Hi")
    async with db.transaction() as conn:
        result = await messages.send(conn, policy, scope, spec)
    async with db.reader() as conn:
        found = await messages.get_many(conn, scope, [m.id for m in result.messages])
    return {m.to_number: m.from_number for m in found}


async def test_pool_picks_are_sticky_and_local(db: Database) -> None:
    policy = messages.SendPolicy(
        rates=RateCard.default(),
        default_validity_seconds=3600,
        max_recipients=100,
        recorder=Recorder(),
    )
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, "Acme")
    scope = Scope(org.id, None)
    unpooled = await _sends(db, scope, policy)
    async with db.transaction() as conn:
        for number in [*US_POOL, GB_POOL]:
            await numbers.register(conn, scope, number, pool=True)
        await numbers.register(conn, scope, "+14155550199")  # registered, not in the pool
    assert set(unpooled.values()) == {None}
    first = await _sends(db, scope, policy)
    second = await _sends(db, scope, policy)
    assert first == second
    assert {first[n] for n in US} == US_POOL  # both used, each recipient always the same
    assert first[GB] == GB_POOL
    named = SendSpec(recipients=(RecipientSpec(US[0]),), text="Hi", sender="+14155550199")
    async with db.transaction() as conn:
        result = await messages.send(conn, policy, scope, named)
        (message,) = await messages.get_many(conn, scope, [result.messages[0].id])
    assert message.from_number == "+14155550199"  # a named sender wins
