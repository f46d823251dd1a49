"""Contacts: the recipients of a tenant as sent.dm shows them.

Opt-outs live in :mod:`signalpost.consent`, the platform's one record of who may be
messaged (sends to opted-out numbers end ``filtered`` there); this package adds what
consent does not keep, a contact's default channel, and shares consent's recipient id, so
a message, a contact and a recipient of the same number have the same id.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalpost.accounts.schemas import Scope
from signalpost.consent import service as consent
from signalpost.consent.schemas import ConsentStatus
from signalpost.contacts import repository as repo
from signalpost.contacts.exceptions import AllRecipientsOptedOut, ContactExists, ContactNotFound
from signalpost.contacts.schemas import Contact, ContactFilter, RecipientPreferences
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.errors import ValidationFailed
from signalpost.messages.schemas import CHANNELS
from signalpost.storage import Connection, Row, UniqueViolation
from signalpost.timeutil import now_us

__all__ = [
    "contact_id",
    "create",
    "delete",
    "get",
    "list_contacts",
    "record_recipients",
    "update",
]


def contact_id(tenant_id: str, e164: str) -> str:
    """The id of the contact ``e164`` of a tenant, whether or not it is stored yet."""
    return consent.recipient_id(tenant_id, e164)


def _to_contact(row: Row, opted_out: set[str]) -> Contact:
    return Contact(
        row["id"],
        row["tenant_id"],
        row["phone_number"],
        row["default_channel"],
        row["phone_number"] in opted_out,
        row["created_at"],
        row["updated_at"],
    )


async def _contacts(conn: Connection, scope: Scope, rows: Sequence[Row]) -> list[Contact]:
    opted = await consent.opted_out_among(conn, scope, [r["phone_number"] for r in rows])
    return [_to_contact(r, opted) for r in rows]


def _row(scope: Scope, e164: str, now: int) -> dict[str, object]:
    return {
        "id": contact_id(scope.tenant_id, e164),
        "organization_id": scope.organization_id,
        "tenant_id": scope.tenant_id,
        "phone_number": e164,
        "default_channel": None,
        "created_at": now,
        "updated_at": now,
    }


async def create(conn: Connection, scope: Scope, phone_number: str) -> Contact:
    """Store a new contact; the number must be valid and not known yet."""
    try:
        e164 = parse_phone(phone_number).e164
    except InvalidPhoneNumber as exc:
        raise ValidationFailed(details={"phone_number": [str(exc)]}) from exc
    try:
        await repo.insert_one(conn, _row(scope, e164, now_us()))
    except UniqueViolation as exc:
        raise ContactExists() from exc
    await consent.remember(conn, scope, [e164])
    return await get(conn, scope, contact_id(scope.tenant_id, e164))


async def get(conn: Connection, scope: Scope, contact: str) -> Contact:
    row = await repo.get(conn, scope.tenant_id, contact)
    if row is None:
        raise ContactNotFound()
    return (await _contacts(conn, scope, [row]))[0]


async def list_contacts(
    conn: Connection, scope: Scope, flt: ContactFilter, *, limit: int, offset: int
) -> tuple[list[Contact], int]:
    """One page of contacts (newest first) and how many match in all."""
    rows = await repo.search(conn, scope.tenant_id, flt, limit=limit, offset=offset)
    total = await repo.count(conn, scope.tenant_id, flt)
    return await _contacts(conn, scope, rows), total


async def update(
    conn: Connection,
    scope: Scope,
    contact: str,
    *,
    default_channel: str | None = None,
    opt_out: bool | None = None,
    consent_recorder: consent.ConsentRecorder,
) -> Contact:
    """Change a contact's default channel or opt-out; None leaves a field as it is."""
    if default_channel is not None and default_channel not in CHANNELS:
        raise ValidationFailed(
            details={"default_channel": [f"must be one of {', '.join(CHANNELS)}"]}
        )
    current = await get(conn, scope, contact)
    row = {"default_channel": default_channel or current.default_channel, "updated_at": now_us()}
    await repo.update_one(conn, scope.tenant_id, contact, row)
    if opt_out is not None:
        status = ConsentStatus.OPTED_OUT if opt_out else ConsentStatus.ACTIVE
        await consent.set_status_of_numbers(
            conn, scope, [current.phone_number], status, recorder=consent_recorder
        )
    return await get(conn, scope, contact)


async def delete(conn: Connection, scope: Scope, contact: str) -> None:
    if not await repo.delete_one(conn, scope.tenant_id, contact):
        raise ContactNotFound()


async def record_recipients(
    conn: Connection, scope: Scope, numbers: Sequence[str]
) -> RecipientPreferences:
    """Store a send's recipients as contacts if new; returns their opt-outs and channels.

    Raises :class:`AllRecipientsOptedOut` when every recipient has opted out: sent.dm
    rejects such a send as a whole.
    """
    unique = list(dict.fromkeys(numbers))
    if not unique:
        return RecipientPreferences(frozenset(), {})
    now = now_us()
    await repo.insert_missing(conn, [_row(scope, n, now) for n in unique])
    opted = frozenset(await consent.opted_out_among(conn, scope, unique))
    if opted and len(opted) == len(unique):
        raise AllRecipientsOptedOut()
    return RecipientPreferences(opted, await repo.default_channels(conn, scope.tenant_id, unique))
