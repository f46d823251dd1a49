"""Recording delivery outcomes: an attempt row each, the event's next state, endpoint health.

:func:`record_outcomes` runs in one transaction per batch of finished deliveries.  Each
event is delivered, rescheduled with backoff, paused (its endpoint is disabled) or given
up; each endpoint's failure counters move, and an endpoint that meets its format's
:class:`~signalpost.webhooks.formats.DisableRule` is disabled with the reason, its
waiting events paused (or given up, for formats that keep none while disabled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from signalpost.domain.backoff import backoff_delay
from signalpost.storage import Connection, Row
from signalpost.webhooks import formats
from signalpost.webhooks import repository as repo
from signalpost.webhooks.schemas import AttemptResult, DeliveryPolicy, DeliveryStatus

__all__ = ["Claimed", "Outcome", "backoff_seconds", "record_outcomes"]

_PAUSED = DeliveryStatus.PAUSED.value
_FAILED = DeliveryStatus.FAILED.value


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased event, as the worker holds it while delivering."""

    id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    payload: str
    attempts: int
    created_at: int
    token: str
    request_id: str | None = None  # of the request that accepted the event's message

    @classmethod
    def from_row(cls, row: Row, token: str) -> Claimed:
        return cls(
            row["id"],
            row["endpoint_id"],
            row["tenant_id"],
            row["event_type"],
            row["payload"],
            row["attempts"],
            row["created_at"],
            token,
            row["request_id"],
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one claimed event ended this time: an attempt, or set aside without one."""

    event: Claimed
    result: AttemptResult | None
    max_attempts: int | None = None
    reason: str | None = None  # why it was set aside (result is None)
    orphan: bool = False  # its endpoint was deleted: the event goes too
    paused: bool = False  # its endpoint is disabled and keeps its events until enabled
    dialect: str = "native"


def backoff_seconds(policy: DeliveryPolicy, attempt_no: int) -> float:
    """Delay before the retry that follows failed attempt ``attempt_no`` (1-based):
    ``min(retry_max, retry_base * 2^(n-1)) * U(0.5, 1.0)``."""
    return backoff_delay(attempt_no, policy.retry_base_seconds, policy.retry_max_seconds)


def _next_state(policy: DeliveryPolicy, o: Outcome, now: int) -> tuple[str, int | None]:
    """``(status, due_at)`` after this outcome."""
    if o.result is None:
        return (_PAUSED if o.paused else _FAILED), None
    if o.result.ok:
        return DeliveryStatus.DELIVERED.value, None
    attempt_no = o.event.attempts + 1
    window_end = o.event.created_at + int(policy.retry_window_seconds * 1_000_000)
    exhausted = o.max_attempts is not None and attempt_no >= o.max_attempts
    if exhausted or now >= window_end:
        return _FAILED, None
    return DeliveryStatus.PENDING.value, now + int(backoff_seconds(policy, attempt_no) * 1e6)


@dataclass(slots=True)
class _Health:
    """One endpoint's results in a batch, in time order."""

    dialect: str
    results: list[tuple[AttemptResult, str]] = field(default_factory=list)  # (result, status)

    def row(self, endpoint_id: str) -> tuple[bool, dict[str, Any]]:
        """``(any success, row)`` for ``note_successes`` or ``note_failures``."""
        self.results.sort(key=lambda rs: rs[0].at)
        last_ok = max((i for i, (r, _) in enumerate(self.results) if r.ok), default=-1)
        after = self.results[last_ok + 1 :]
        row: dict[str, Any] = {
            "id": endpoint_id,
            "failures": len(after),
            "failed_events": sum(1 for _, status in after if status == _FAILED),
            "failing_since": after[0][0].at if after else None,
            "last_attempt_at": self.results[-1][0].at,
        }
        if last_ok >= 0:
            row["last_success_at"] = self.results[last_ok][0].at
        return last_ok >= 0, row

    @property
    def last_error(self) -> str | None:
        """The error of the batch's last attempt if it failed."""
        last = self.results[-1][0]
        return None if last.ok else last.error or "unknown error"


def _rows(
    policy: DeliveryPolicy, outcomes: Sequence[Outcome], now: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, _Health]]:
    attempts: list[dict[str, Any]] = []
    finished: list[dict[str, Any]] = []
    health: dict[str, _Health] = {}
    for o in outcomes:
        status, due_at = _next_state(policy, o, now)
        r, ev = o.result, o.event
        finished.append(
            {
                "id": ev.id,
                "token": ev.token,
                "status": status,
                "attempts": ev.attempts + (1 if r is not None else 0),
                "due_at": due_at,
                "finished_at": now if status in (_FAILED, DeliveryStatus.DELIVERED) else None,
                "status_code": r.status_code if r is not None else None,
                "error": r.error if r is not None else o.reason,
            }
        )
        if r is None:
            continue
        health.setdefault(ev.endpoint_id, _Health(o.dialect)).results.append((r, status))
        attempts.append(
            {
                "event_id": ev.id,
                "endpoint_id": ev.endpoint_id,
                "tenant_id": ev.tenant_id,
                "attempt_no": ev.attempts + 1,
                "ok": r.ok,
                "status_code": r.status_code,
                "latency_ms": r.latency_ms,
                "response_body": r.response_body,
                "error": r.error,
                "created_at": r.at,
            }
        )
    return attempts, finished, health


async def record_outcomes(
    conn: Connection, policy: DeliveryPolicy, outcomes: Sequence[Outcome], now: int
) -> list[Row]:
    """Write attempts, event states and endpoint health; returns endpoints it disabled."""
    orphans = [o.event.id for o in outcomes if o.orphan]
    attempts, finished, health = _rows(policy, [o for o in outcomes if not o.orphan], now)
    # Events before attempts: finishing an event holds its row, so an endpoint deleted
    # meanwhile takes these attempts with it, or they are not written (see delete_endpoint).
    await repo.finish_events(conn, finished)
    await repo.insert_attempts(conn, attempts)
    await repo.delete_events(conn, orphans)
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for endpoint_id, h in health.items():
        ok, row = h.row(endpoint_id)
        (successes if ok else failures).append(row)
    await repo.note_successes(conn, successes)
    await repo.note_failures(conn, failures)
    disabled: list[Row] = []
    for endpoint_id, h in health.items():
        error = h.last_error
        if error is not None:
            found = await _disable_if_due(conn, policy, endpoint_id, h.dialect, error, now)
            if found is not None:
                disabled.append(found)
    return disabled


async def _disable_if_due(
    conn: Connection, policy: DeliveryPolicy, endpoint_id: str, dialect: str, error: str, now: int
) -> Row | None:
    fmt = _format(dialect)
    rule = fmt.disable_rule(policy)
    row = await repo.disable_failing(conn, endpoint_id, rule, reason=rule.reason(error), now=now)
    if row is not None:
        await hold_events(conn, fmt, endpoint_id, now)
    return row


async def hold_events(
    conn: Connection, fmt: formats.WebhookFormat, endpoint_id: str, now: int
) -> None:
    """An endpoint was disabled: its waiting events are paused, or given up if its format
    keeps no events while disabled."""
    if fmt.keeps_events_while_disabled:
        await repo.pause_events(conn, endpoint_id)
    else:
        await repo.fail_waiting_events(
            conn, endpoint_id, now, reason="not delivered: endpoint is disabled"
        )


def _format(dialect: str) -> formats.WebhookFormat:
    try:
        return formats.get(dialect)
    except formats.UnknownDialect:
        return formats.get("native")
