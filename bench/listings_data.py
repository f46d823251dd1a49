"""Bulk SQL that fills one tenant with many messages and five activities each.

Used by the ``listings`` benchmark (millions of rows, built once and cached) and by the
query-plan tests (a few thousand rows), on SQLite and PostgreSQL alike.  Rows are computed
in the database from a number series, so generating them costs no Python per row.

Each message ``i`` of ``n`` has: a channel (80 % sms, 15 % whatsapp, 5 % rcs), a recipient
among about ``n / 2`` numbers, a sender among three numbers (70/20/10 %), a send (batch) of
50 messages, a creation time spread evenly over 30 days, and a final status: delivered
(98.48 %), failed (1 %), rejected (0.5 %) or expired (0.02 %: the rare one).  Its activities
are accepted, queued, processed, sent and the final status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.schema import CreateIndex, DropIndex

from signalpost.storage.statements import _DIALECTS
from signalpost.storage.tables import activities, messages

__all__ = ["GENERATOR_VERSION", "Generated", "create_indexes", "drop_indexes", "fill"]

GENERATOR_VERSION = 1
"""Bumped whenever the rows below change, so that cached databases are rebuilt."""

DAYS = 30
ACTIVITIES_PER_MESSAGE = 5
SENDERS = ("+14155550100", "+14155550101", "+14155550102")
RARE_STATUS = "expired"


@dataclass(frozen=True)
class Generated:
    """What a benchmark needs to know about the generated rows to query them."""

    tenant_id: str
    messages: int
    start_us: int

    @property
    def end_us(self) -> int:
        return self.start_us + DAYS * 86_400 * 1_000_000

    def message_id(self, i: int) -> str:
        return f"00000000-0000-4000-8000-{i:012d}"

    def batch_id(self, i: int) -> str:
        return f"00000000-0000-4000-9000-{i // 50:012d}"

    def to_number(self, i: int) -> str:
        return f"+1415{(i * 7919) % max(1, self.messages // 2):07d}"


def _pad(dialect: str) -> Callable[[str, int], str]:
    if dialect == "sqlite":
        return lambda expr, width: f"printf('%0{width}d', {expr})"
    return lambda expr, width: f"lpad(({expr})::text, {width}, '0')"


def _expressions(dialect: str, n: int, start_us: int) -> dict[str, str]:
    """Column expressions of message ``i`` (an integer column named ``i``)."""
    pad = _pad(dialect)
    step = DAYS * 86_400 * 1_000_000 // max(n, 1)
    channel_roll = "((i * 2654435761) % 10007) % 100"
    status_roll = "((i * 40503) % 10007)"
    return {
        "id": f"'00000000-0000-4000-8000-' || {pad('i', 12)}",
        "batch_id": f"'00000000-0000-4000-9000-' || {pad('i / 50', 12)}",
        "channel": (
            f"CASE WHEN {channel_roll} < 80 THEN 'sms' "
            f"WHEN {channel_roll} < 95 THEN 'whatsapp' ELSE 'rcs' END"
        ),
        "to_number": f"'+1415' || {pad(f'(i * 7919) % {max(1, n // 2)}', 7)}",
        "from_number": (
            f"CASE WHEN i % 10 < 7 THEN '{SENDERS[0]}' "
            f"WHEN i % 10 < 9 THEN '{SENDERS[1]}' ELSE '{SENDERS[2]}' END"
        ),
        "status": (
            f"CASE WHEN {status_roll} < 2 THEN '{RARE_STATUS}' "
            f"WHEN {status_roll} < 102 THEN 'failed' "
            f"WHEN {status_roll} < 152 THEN 'rejected' ELSE 'delivered' END"
        ),
        "created_at": f"({start_us} + i * {step})",
    }


def _series(dialect: str, n: int) -> str:
    if dialect == "sqlite":
        return (
            "WITH RECURSIVE series(i) AS (SELECT 0 UNION ALL "
            f"SELECT i + 1 FROM series WHERE i < {n - 1}) "
        )
    return ""


def _source(dialect: str, n: int) -> str:
    return "series" if dialect == "sqlite" else f"generate_series(0::bigint, {n - 1}) AS series(i)"


def message_insert(dialect: str, tenant_id: str, organization_id: str, n: int, start: int) -> str:
    e = _expressions(dialect, n, start)
    return (
        "INSERT INTO messages (id, organization_id, tenant_id, batch_id, message_key, channel, "
        "to_number, from_number, region_code, body, template_id, template_name, encoding, "
        "segments, price_micros, currency, status, reason_code, reason, carrier, "
        "carrier_message_id, dialect, metadata, scheduled_at, expires_at, created_at, "
        "updated_at, sent_at, delivered_at, attempts, revision) "
        f"{_series(dialect, n)}"
        f"SELECT {e['id']}, '{organization_id}', '{tenant_id}', {e['batch_id']}, NULL, "
        f"{e['channel']}, {e['to_number']}, {e['from_number']}, 'US', 'Your code is 1234', "
        "NULL, NULL, 'GSM7', 1, 7500, 'USD', "
        f"{e['status']}, NULL, NULL, 'simulator', {e['id']}, 'native', NULL, NULL, "
        f"{e['created_at']} + 172800000000, {e['created_at']}, {e['created_at']} + 800000, "
        f"{e['created_at']} + 600000, NULL, 1, 4 "
        f"FROM {_source(dialect, n)}"
    )


def activity_insert(dialect: str, tenant_id: str, n: int, start: int) -> str:
    """Five activities per message, in creation order (ids follow time)."""
    e = _expressions(dialect, n, start)
    step = (
        "CASE k WHEN 0 THEN 'accepted' WHEN 1 THEN 'queued' WHEN 2 THEN 'processed' "
        f"WHEN 3 THEN 'sent' ELSE {e['status']} END"
    )
    if dialect == "sqlite":
        steps = "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 "
        steps += "UNION ALL SELECT 4) AS steps"
        source = f"series CROSS JOIN {steps}"
    else:
        source = f"{_source(dialect, n)} CROSS JOIN generate_series(0, 4) AS steps(k)"
    return (
        "INSERT INTO activities (message_id, tenant_id, status, description, reason_code, "
        "reason, error_code, price_micros, created_at, channel, from_number) "
        f"{_series(dialect, n)}"
        f"SELECT {e['id']}, '{tenant_id}', {step}, 'Message step', NULL, NULL, NULL, "
        f"CASE WHEN k = 1 THEN 7500 ELSE NULL END, {e['created_at']} + k * 200000, "
        f"{e['channel']}, {e['from_number']} "
        f"FROM {source} ORDER BY i, k"
    )


def _indexes() -> list[object]:
    return [*messages.indexes, *activities.indexes]


def drop_indexes(dialect: str) -> list[str]:
    """Statements dropping the secondary indexes (bulk inserts run faster without them)."""
    return [str(DropIndex(ix).compile(dialect=_DIALECTS[dialect])) for ix in _indexes()]  # type: ignore[arg-type]


def create_indexes(dialect: str) -> list[str]:
    return [str(CreateIndex(ix).compile(dialect=_DIALECTS[dialect])) for ix in _indexes()]  # type: ignore[arg-type]


def fill(dialect: str, tenant_id: str, organization_id: str, n: int, start_us: int) -> list[str]:
    """Every statement, in order, that adds ``n`` messages and their activities."""
    return [
        message_insert(dialect, tenant_id, organization_id, n, start_us),
        activity_insert(dialect, tenant_id, n, start_us),
    ]
