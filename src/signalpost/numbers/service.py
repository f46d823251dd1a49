"""Register, read, pause and remove the phone numbers a tenant sends from.

A number belongs to one tenant at a time (its E.164 form is unique across the platform), so
an inbound message to it has exactly one owner.
"""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.domain.senders import PoolSender
from signalpost.errors import ValidationFailed
from signalpost.numbers import repository as repo
from signalpost.numbers.exceptions import NumberNotFound, NumberTaken
from signalpost.numbers.schemas import NumberFilter, SenderNumber
from signalpost.storage import Connection, Row, UniqueViolation
from signalpost.timeutil import new_id, now_us

__all__ = ["delete", "find_by_phone", "get", "list_numbers", "pool", "register", "update"]

MAX_LABEL = 200


def _to_number(row: Row) -> SenderNumber:
    return SenderNumber(
        row["id"],
        row["organization_id"],
        row["tenant_id"],
        row["phone_number"],
        row["label"],
        bool(row["paused"]),
        row["created_at"],
        row["updated_at"],
    )


def _e164(raw: str) -> str:
    try:
        return parse_phone(raw).e164
    except InvalidPhoneNumber as exc:
        raise ValidationFailed(details={"phone_number": [str(exc)]}) from exc


def _check_label(label: str | None) -> None:
    if label is not None and len(label) > MAX_LABEL:
        raise ValidationFailed(details={"label": [f"at most {MAX_LABEL} characters"]})


async def register(
    conn: Connection,
    scope: Scope,
    phone_number: str,
    *,
    label: str | None = None,
    pool: bool = False,
) -> SenderNumber:
    """Register a number for the tenant; it must be valid and not registered anywhere yet."""
    _check_label(label)
    now = now_us()
    row = {
        "id": new_id(),
        "organization_id": scope.organization_id,
        "tenant_id": scope.tenant_id,
        "phone_number": _e164(phone_number),
        "label": label,
        "paused": False,
        "pool": pool,
        "created_at": now,
        "updated_at": now,
    }
    try:
        await repo.insert_one(conn, row)
    except UniqueViolation as exc:
        raise NumberTaken() from exc
    return await get(conn, scope, str(row["id"]))


async def get(conn: Connection, scope: Scope, number_id: str) -> SenderNumber:
    row = await repo.get(conn, scope.tenant_id, number_id)
    if row is None:
        raise NumberNotFound()
    return _to_number(row)


async def find_by_phone(conn: Connection, scope: Scope, phone_number: str) -> SenderNumber | None:
    """The tenant's number with this E.164 form, or None (also for another tenant's number)."""
    row = await repo.get_by_phone(conn, scope.tenant_id, phone_number)
    return _to_number(row) if row is not None else None


async def list_numbers(
    conn: Connection, scope: Scope, flt: NumberFilter, *, limit: int, offset: int = 0
) -> list[SenderNumber]:
    """The tenant's numbers, newest first."""
    rows = await repo.search(conn, scope.tenant_id, flt, limit=limit, offset=offset)
    return [_to_number(r) for r in rows]


async def update(
    conn: Connection,
    scope: Scope,
    number_id: str,
    *,
    paused: bool | None = None,
    label: str | None = None,
) -> SenderNumber:
    """Pause or resume a number, or relabel it; None leaves a field as it is."""
    _check_label(label)
    current = await get(conn, scope, number_id)
    row = {
        "label": current.label if label is None else label,
        "paused": current.paused if paused is None else paused,
        "updated_at": now_us(),
    }
    await repo.update_one(conn, scope.tenant_id, number_id, row)
    return await get(conn, scope, number_id)


async def delete(conn: Connection, scope: Scope, number_id: str) -> None:
    if not await repo.delete_one(conn, scope.tenant_id, number_id):
        raise NumberNotFound()


async def pool(conn: Connection, scope: Scope) -> list[PoolSender]:
    """The numbers a send without a sender picks from, each with its country."""
    return [
        PoolSender(e164, parse_phone(e164).region_code)
        for e164 in await repo.pool(conn, scope.tenant_id)
    ]
