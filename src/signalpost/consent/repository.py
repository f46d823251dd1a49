"""SQL of consent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, exists, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from signalpost.consent.schemas import ConsentStatus, RecipientFilter
from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import consent_recipients as r
from signalpost.storage.tables import messages as m

__all__ = [
    "get",
    "get_many",
    "insert_missing",
    "lock_statuses",
    "opted_out_among",
    "search",
    "set_status",
    "suppressed",
    "upsert",
]


def _insert(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(r)


def _insert_missing(dialect: str) -> ClauseElement:
    stmt = _insert(dialect).on_conflict_do_nothing(index_elements=["tenant_id", "phone_number"])
    return stmt  # type: ignore[no-any-return]


def _upsert(dialect: str) -> ClauseElement:
    stmt = _insert(dialect)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["tenant_id", "phone_number"],
        set_={
            "status": stmt.excluded.status,
            "updated_at": stmt.excluded.updated_at,
            "reason": stmt.excluded.reason,
            "source": stmt.excluded.source,
        },
    )


_INSERT_MISSING = Query(_insert_missing)
_UPSERT = Query(_upsert)
_GET = Query(select(r).where(r.c.tenant_id == bindparam("tenant"), r.c.id == bindparam("id")))
_GET_MANY = Query(
    lambda d: select(r).where(r.c.tenant_id == bindparam("tenant"), in_list(r.c.id, "ids", d))
)
_LOCK_STATUSES = Query(
    lambda d: (
        select(r.c.id, r.c.status)
        .where(r.c.tenant_id == bindparam("tenant"), in_list(r.c.id, "ids", d))
        .order_by(r.c.id)
        .with_for_update()
    )
)
_OPTED_OUT = Query(
    lambda d: select(r.c.phone_number).where(
        in_list(r.c.tenant_id, "tenants", d),
        in_list(r.c.phone_number, "phones", d),
        r.c.status == ConsentStatus.OPTED_OUT.value,
    )
)
_SET_STATUS = Query(
    update(r)
    .where(r.c.tenant_id == bindparam("tenant"), r.c.id == bindparam("rid"))
    .values(
        status=bindparam("status"),
        updated_at=bindparam("updated_at"),
        reason=bindparam("reason"),
        source=bindparam("source"),
    )
)
_SUPPRESSED = Query(
    select(r)
    .where(
        r.c.tenant_id == bindparam("tenant"),
        r.c.status == ConsentStatus.OPTED_OUT.value,
        tuple_(r.c.updated_at, r.c.id) < tuple_(bindparam("at"), bindparam("id")),
    )
    .order_by(r.c.updated_at.desc(), r.c.id.desc())
    .limit(bindparam("limit"))
)


async def insert_missing(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows whose (tenant, number) is not there yet; leave the others as they are."""
    await conn.executemany(_INSERT_MISSING, rows)


async def upsert(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows, or set the status of the (tenant, number) already there."""
    await conn.executemany(_UPSERT, rows)


async def lock_statuses(conn: Connection, tenant_id: str, ids: Sequence[str]) -> dict[str, str]:
    """The status of each stored recipient among ``ids``, its row locked until the
    transaction ends (in id order, so two changes of overlapping numbers cannot deadlock)."""
    rows = await conn.fetch(_LOCK_STATUSES, {"tenant": tenant_id, "ids": sorted(ids)})
    return {row[0]: row[1] for row in rows}


async def opted_out_among(
    conn: Connection, tenant_ids: Sequence[str], phones: Sequence[str]
) -> set[str]:
    """The numbers among ``phones`` suppressed for any of ``tenant_ids``."""
    rows = await conn.fetch(_OPTED_OUT, {"tenants": list(tenant_ids), "phones": list(phones)})
    return {row[0] for row in rows}


async def get(conn: Connection, tenant_id: str, recipient_id: str) -> Row | None:
    return await conn.fetchrow(_GET, {"tenant": tenant_id, "id": recipient_id})


async def get_many(conn: Connection, tenant_id: str, ids: Sequence[str]) -> list[Row]:
    return await conn.fetch(_GET_MANY, {"tenant": tenant_id, "ids": list(ids)})


async def set_status(
    conn: Connection,
    tenant_id: str,
    recipient_id: str,
    status: str,
    now: int,
    *,
    reason: str | None = None,
    source: str | None = None,
) -> int:
    params = {
        "tenant": tenant_id,
        "rid": recipient_id,
        "status": status,
        "updated_at": now,
        "reason": reason,
        "source": source,
    }
    return await conn.execute(_SET_STATUS, params)


async def suppressed(
    conn: Connection, tenant_id: str, *, limit: int, before: tuple[int, str] | None
) -> list[Row]:
    """The tenant's suppression list, most recently changed first, after a keyset cursor."""
    at, last = before if before is not None else (2**62, "")
    params = {"tenant": tenant_id, "at": at, "id": last, "limit": limit}
    return await conn.fetch(_SUPPRESSED, params)


def _filtered(flt: RecipientFilter) -> tuple[Select[Any], dict[str, Any]]:
    stmt = select(r).where(r.c.tenant_id == bindparam("tenant"))
    params: dict[str, Any] = {}
    if flt.status is not None:
        stmt = stmt.where(r.c.status == bindparam("status"))
        params["status"] = flt.status.value
    if flt.sent_from is not None:
        sent = exists().where(
            m.c.tenant_id == r.c.tenant_id,
            m.c.to_number == r.c.phone_number,
            m.c.from_number == bindparam("sent_from"),
        )
        stmt = stmt.where(sent)
        params["sent_from"] = flt.sent_from
    return stmt, params


async def search(
    conn: Connection, tenant_id: str, flt: RecipientFilter, *, limit: int, offset: int
) -> list[Row]:
    """Recipients newest first."""
    stmt, params = _filtered(flt)
    stmt = (
        stmt.order_by(r.c.created_at.desc(), r.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    values = {**params, "tenant": tenant_id, "limit": limit, "offset": offset}
    return await conn.fetch(Query(stmt), values)
