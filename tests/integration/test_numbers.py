"""Sender numbers on both databases: registration, tenancy, pausing, listing, removal."""

from __future__ import annotations

import pytest

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.errors import ValidationFailed
from signalpost.numbers import service as numbers
from signalpost.numbers.exceptions import NumberNotFound, NumberTaken
from signalpost.numbers.schemas import NumberFilter
from signalpost.storage import Database


async def _tenant(db: Database, name: str = "Acme") -> Scope:
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, name)
    return Scope(org.id, None)


async def test_register_normalises_and_reads_back(db: Database) -> None:
    scope = await _tenant(db)
    async with db.transaction() as conn:
        created = await numbers.register(conn, scope, "+1 (415) 555-0199", label="Support")
    async with db.reader() as conn:
        fetched = await numbers.get(conn, scope, created.id)
        found = await numbers.find_by_phone(conn, scope, "+14155550199")
    assert fetched == created == found
    assert created.phone_number == "+14155550199"
    assert created.label == "Support"
    assert created.paused is False
    assert created.tenant_id == scope.tenant_id


async def test_invalid_number_is_refused(db: Database) -> None:
    scope = await _tenant(db)
    async with db.transaction() as conn:
        with pytest.raises(ValidationFailed) as info:
            await numbers.register(conn, scope, "12")
    assert info.value.details is not None
    assert "phone_number" in info.value.details


async def test_a_number_belongs_to_one_tenant(db: Database) -> None:
    first, second = await _tenant(db, "A"), await _tenant(db, "B")
    async with db.transaction() as conn:
        owned = await numbers.register(conn, first, "+14155550199")
    async with db.transaction() as conn:
        with pytest.raises(NumberTaken):
            await numbers.register(conn, second, "+14155550199")
    async with db.reader() as conn:
        assert await numbers.find_by_phone(conn, second, "+14155550199") is None
        with pytest.raises(NumberNotFound):
            await numbers.get(conn, second, owned.id)
        assert await numbers.list_numbers(conn, second, NumberFilter(), limit=10) == []


async def test_pause_filter_and_delete(db: Database) -> None:
    scope = await _tenant(db)
    async with db.transaction() as conn:
        one = await numbers.register(conn, scope, "+14155550101")
        two = await numbers.register(conn, scope, "+14155550102")
        paused = await numbers.update(conn, scope, one.id, paused=True)
    assert paused.paused is True
    assert paused.label is None
    async with db.reader() as conn:
        everyone = await numbers.list_numbers(conn, scope, NumberFilter(), limit=10)
        only_paused = await numbers.list_numbers(conn, scope, NumberFilter(paused=True), limit=10)
        active = await numbers.list_numbers(conn, scope, NumberFilter(paused=False), limit=10)
        second_page = await numbers.list_numbers(conn, scope, NumberFilter(), limit=1, offset=1)
    assert {n.id for n in everyone} == {one.id, two.id}
    assert [n.id for n in only_paused] == [one.id]
    assert [n.id for n in active] == [two.id]
    assert len(second_page) == 1
    async with db.transaction() as conn:
        await numbers.delete(conn, scope, one.id)
        with pytest.raises(NumberNotFound):
            await numbers.delete(conn, scope, one.id)
    async with db.reader() as conn:
        left = await numbers.list_numbers(conn, scope, NumberFilter(), limit=10)
    assert [n.id for n in left] == [two.id]
