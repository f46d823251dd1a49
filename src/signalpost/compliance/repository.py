"""SQL of compliance settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import compliance_settings as c

__all__ = ["get_many", "upsert"]

_GET_MANY = Query(lambda d: select(c).where(in_list(c.c.tenant_id, "tenants", d)))


def _upsert(dialect: str) -> ClauseElement:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(c)
    columns = [col.name for col in c.columns if col.name != "tenant_id"]
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["tenant_id"], set_={name: stmt.excluded[name] for name in columns}
    )


_UPSERT = Query(_upsert)


async def get_many(conn: Connection, tenant_ids: Sequence[str]) -> list[Row]:
    """The settings rows stored for any of ``tenant_ids``."""
    return await conn.fetch(_GET_MANY, {"tenants": list(tenant_ids)})


async def upsert(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_UPSERT, row)
