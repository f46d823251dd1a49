"""Each tenant's recipients and their consent: who may be messaged, who opted out.

A recipient's id is derived from its tenant and number (a name-based UUID), so any part of
the platform can name a recipient without a lookup and the same number always has the same
id.  Sends look the opted-out numbers up once per request (:func:`opted_out_among`).

Every change of a number's status goes through :func:`set_status_of_numbers` or
:func:`set_status`, whatever asked for it (a keyword, the API, an import, a carrier report,
a dialect).  Each tells its :class:`ConsentRecorder` of the numbers whose status really
changed, in the same transaction, so the observers (the webhook outbox) see every opt-out
and opt-in exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache

from signalpost.accounts.schemas import Scope
from signalpost.consent import repository as repo
from signalpost.consent.exceptions import RecipientNotFound
from signalpost.consent.schemas import (
    ConsentChange,
    ConsentObserver,
    ConsentStatus,
    Recipient,
    RecipientFilter,
    SuppressionSource,
)
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.errors import ValidationFailed
from signalpost.storage import Connection, Row
from signalpost.timeutil import now_us

__all__ = [
    "ConsentRecorder",
    "get",
    "get_many",
    "list_recipients",
    "opted_out_among",
    "recipient_id",
    "remember",
    "set_status",
    "set_status_of_numbers",
    "suppressed",
]

_NAMESPACE = uuid.UUID("0c6c2f0e-5a8e-4b1d-9f3a-7d2e41b6c8a5")


class ConsentRecorder:
    """Hands the consent changes of a transaction to its observers, in that transaction."""

    def __init__(self, observers: Sequence[ConsentObserver] = ()) -> None:
        self.observers: list[ConsentObserver] = list(observers)

    async def notify(self, conn: Connection, changes: Sequence[ConsentChange]) -> None:
        if changes:
            for observer in self.observers:
                await observer(conn, changes)


@lru_cache(maxsize=65_536)  # presenters ask again for the same few recipients
def recipient_id(tenant_id: str, e164: str) -> str:
    """The id of the recipient ``e164`` of a tenant, whether or not it is stored yet."""
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}:{e164}"))


def _to_recipient(row: Row) -> Recipient:
    return Recipient(
        row["id"],
        row["tenant_id"],
        row["phone_number"],
        ConsentStatus(row["status"]),
        row["created_at"],
        row["updated_at"],
        row["reason"],
        SuppressionSource(row["source"]) if row["source"] else None,
    )


def _row(
    scope: Scope,
    e164: str,
    status: ConsentStatus,
    now: int,
    reason: str | None = None,
    source: SuppressionSource | None = None,
) -> dict[str, object]:
    return {
        "id": recipient_id(scope.tenant_id, e164),
        "organization_id": scope.organization_id,
        "tenant_id": scope.tenant_id,
        "phone_number": e164,
        "status": status.value,
        "created_at": now,
        "updated_at": now,
        "reason": reason,
        "source": source.value if source else None,
    }


def _tenants(scope: Scope) -> list[str]:
    """A tenant's own list and, for a profile, its organization's (which covers it too)."""
    if scope.tenant_id == scope.organization_id:
        return [scope.tenant_id]
    return [scope.tenant_id, scope.organization_id]


async def opted_out_among(conn: Connection, scope: Scope, numbers: Sequence[str]) -> set[str]:
    """The E.164 numbers among ``numbers`` that must not be messaged (one query)."""
    if not numbers:
        return set()
    return await repo.opted_out_among(conn, _tenants(scope), list(dict.fromkeys(numbers)))


async def opted_out_by_organization_only(
    conn: Connection, scope: Scope, numbers: Sequence[str]
) -> set[str]:
    """For a profile, the numbers among ``numbers`` that only its organization's list
    holds (the profile cannot take them off; the organization can)."""
    if scope.tenant_id == scope.organization_id or not numbers:
        return set()
    wanted = list(dict.fromkeys(numbers))
    everywhere = await repo.opted_out_among(conn, _tenants(scope), wanted)
    own = await repo.opted_out_among(conn, [scope.tenant_id], wanted)
    return everywhere - own


async def remember(conn: Connection, scope: Scope, numbers: Sequence[str]) -> None:
    """Record messaged numbers as recipients (``active`` when new; others keep their status)."""
    now = now_us()
    rows = [_row(scope, n, ConsentStatus.ACTIVE, now) for n in dict.fromkeys(numbers)]
    if rows:
        await repo.insert_missing(conn, rows)


async def set_status_of_numbers(
    conn: Connection,
    scope: Scope,
    numbers: Sequence[str],
    status: ConsentStatus,
    *,
    recorder: ConsentRecorder,
    reason: str | None = None,
    source: SuppressionSource = SuppressionSource.API,
    keyword: str | None = None,
    message_id: str | None = None,
) -> list[Recipient]:
    """Opt numbers out (or back in), recording them as recipients if they are new.

    Every number gets the reason and source given; those whose status changed are told to
    ``recorder`` (``keyword`` and ``message_id``: the inbound message behind a keyword).
    """
    e164s: list[str] = []
    for index, raw in enumerate(numbers):
        try:
            e164s.append(parse_phone(raw).e164)
        except InvalidPhoneNumber as exc:
            raise ValidationFailed(details={f"numbers.{index}": [str(exc)]}) from exc
    now = now_us()
    unique = list(dict.fromkeys(e164s))
    if not unique:
        return []
    rows = [_row(scope, n, status, now, reason, source) for n in unique]
    ids = [str(row["id"]) for row in rows]
    # A new number is stored active first, then every row is locked and read: of two
    # transactions changing the same number, the second sees the first's change.
    await repo.insert_missing(conn, [{**row, "status": ConsentStatus.ACTIVE.value} for row in rows])
    before = await repo.lock_statuses(conn, scope.tenant_id, ids)
    await repo.upsert(conn, rows)
    recipients = await get_many(conn, scope, ids)
    changes = [
        ConsentChange(r, scope.organization_id, keyword, message_id)
        for r in recipients
        if before.get(r.id) != status.value
    ]
    await recorder.notify(conn, changes)
    return recipients


async def get(conn: Connection, scope: Scope, rid: str) -> Recipient:
    row = await repo.get(conn, scope.tenant_id, rid)
    if row is None:
        raise RecipientNotFound()
    return _to_recipient(row)


async def get_many(conn: Connection, scope: Scope, ids: Sequence[str]) -> list[Recipient]:
    """The stored recipients among ``ids``, in the order given."""
    found = {r["id"]: _to_recipient(r) for r in await repo.get_many(conn, scope.tenant_id, ids)}
    return [found[i] for i in ids if i in found]


async def set_status(
    conn: Connection,
    scope: Scope,
    rid: str,
    status: ConsentStatus,
    *,
    recorder: ConsentRecorder,
    reason: str | None = None,
    source: SuppressionSource = SuppressionSource.API,
) -> Recipient:
    """Opt one recipient out or back in; a change is told to ``recorder``."""
    before = await repo.lock_statuses(conn, scope.tenant_id, [rid])
    if rid not in before:
        raise RecipientNotFound()
    await repo.set_status(
        conn, scope.tenant_id, rid, status.value, now_us(), reason=reason, source=source.value
    )
    recipient = await get(conn, scope, rid)
    if before[rid] != status.value:
        await recorder.notify(conn, [ConsentChange(recipient, scope.organization_id)])
    return recipient


async def list_recipients(
    conn: Connection, scope: Scope, flt: RecipientFilter, *, limit: int, offset: int = 0
) -> list[Recipient]:
    """The tenant's recipients, newest first."""
    rows = await repo.search(conn, scope.tenant_id, flt, limit=limit, offset=offset)
    return [_to_recipient(r) for r in rows]


async def suppressed(
    conn: Connection, scope: Scope, *, limit: int, before: tuple[int, str] | None = None
) -> list[Recipient]:
    """The tenant's suppression list, most recently changed first (keyset pages)."""
    rows = await repo.suppressed(conn, scope.tenant_id, limit=limit, before=before)
    return [_to_recipient(r) for r in rows]
