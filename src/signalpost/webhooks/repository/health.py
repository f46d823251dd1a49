"""SQL of an endpoint's health: its failures and successes, and disabling it by its
format's rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, bindparam, func, true, update

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import webhook_endpoints as ep
from signalpost.webhooks.schemas import DisableRule

__all__ = ["disable_failing", "note_failures", "note_successes"]


_NOTE_SUCCESS = Query(
    update(ep)
    .where(ep.c.id == bindparam("b_id"))
    .values(
        consecutive_failures=bindparam("b_failures"),
        failed_events=bindparam("b_failed_events"),
        failing_since=bindparam("b_failing_since"),
        last_attempt_at=bindparam("b_last_attempt_at"),
        last_success_at=bindparam("b_last_success_at"),
    )
)
_NOTE_FAILURES = Query(
    update(ep)
    .where(ep.c.id == bindparam("b_id"))
    .values(
        consecutive_failures=ep.c.consecutive_failures + bindparam("b_failures"),
        failed_events=ep.c.failed_events + bindparam("b_failed_events"),
        failing_since=func.coalesce(ep.c.failing_since, bindparam("b_failing_since")),
        last_attempt_at=bindparam("b_last_attempt_at"),
    )
)


def _disable(by_failed_events: bool) -> Query:
    if by_failed_events:
        failing = ep.c.failed_events >= bindparam("failed_events")
    else:
        failing = and_(
            ep.c.failing_since <= bindparam("cutoff"),
            ep.c.consecutive_failures >= bindparam("min_failures"),
        )
    return Query(
        update(ep)
        .where(ep.c.id == bindparam("id"), ep.c.enabled == true(), failing)
        .values(
            enabled=False,
            disabled_reason=bindparam("reason"),
            disabled_at=bindparam("now"),
            updated_at=bindparam("now"),
        )
        .returning(ep.c.id, ep.c.tenant_id, ep.c.consecutive_failures, ep.c.failing_since)
    )


_DISABLE = {flag: _disable(flag) for flag in (False, True)}


async def note_successes(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Endpoints that succeeded: ``id, failures`` (after the last success), ``failing_since``,
    ``last_attempt_at``, ``last_success_at``."""
    await conn.executemany(_NOTE_SUCCESS, ({f"b_{k}": v for k, v in r.items()} for r in rows))


async def note_failures(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Endpoints that only failed: ``id, failures`` (added), ``failing_since``,
    ``last_attempt_at``."""
    await conn.executemany(_NOTE_FAILURES, ({f"b_{k}": v for k, v in r.items()} for r in rows))


async def disable_failing(
    conn: Connection, endpoint_id: str, rule: DisableRule, *, reason: str, now: int
) -> Row | None:
    """Disable the endpoint if it meets ``rule``; returns it when it was disabled."""
    params: dict[str, Any] = {"id": endpoint_id, "reason": reason, "now": now}
    if rule.failed_events is not None:
        params["failed_events"] = rule.failed_events
        return await conn.fetchrow(_DISABLE[True], params)
    if rule.failing_for_seconds is None:
        return None
    params["cutoff"] = now - int(rule.failing_for_seconds * 1_000_000)
    params["min_failures"] = rule.min_failed_attempts
    return await conn.fetchrow(_DISABLE[False], params)
