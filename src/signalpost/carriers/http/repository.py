"""SQL of HTTP carriers: the messages whose provider events are overdue."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, literal_column, or_, select

from signalpost.storage import Connection, Query
from signalpost.storage.tables import messages as m
from signalpost.timeutil import now_us

__all__ = ["overdue"]

_OVERDUE = Query(
    select(m.c.carrier_message_id)
    .where(
        m.c.carrier == bindparam("carrier"),
        m.c.carrier_message_id.is_not(None),
        m.c.updated_at < bindparam("before"),
        m.c.expires_at > bindparam("now"),
        or_(
            m.c.status == literal_column("'sent'"),
            and_(
                m.c.status == literal_column("'delivered'"),
                m.c.channel != literal_column("'sms'"),
            ),
        ),
    )
    .order_by(m.c.updated_at)
    .limit(bindparam("limit"))
)


async def overdue(conn: Connection, carrier: str, before: int, limit: int) -> list[str]:
    """Provider ids of sent messages (and delivered non-SMS ones, which may still be read)
    not updated since ``before`` and still within their validity."""
    rows = await conn.fetch(
        _OVERDUE, {"carrier": carrier, "before": before, "now": now_us(), "limit": limit}
    )
    return [r[0] for r in rows]
