"""Tables of running the deployment: statistics rollups, retention policies and the
dialects' rate-limit windows."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from signalpost.storage.tables.base import Id, Micros, metadata

__all__ = ["LATENCY_BUCKETS", "rate_limit_windows", "retention_policies", "stats_rollups"]


# Per tenant, hour or day of acceptance (UTC), one dimension (channel, country or carrier)
# and its value, and current status: how many messages, their segments and cost, and (rows
# of delivered and read) a histogram of the time from accepted to delivered.  Moved in the
# transaction of every state change, so a late receipt moves its message from ``sent`` to
# ``delivered`` in the period it was accepted.
LATENCY_BUCKETS = 20
stats_rollups = Table(
    "stats_rollups",
    metadata,
    Column("tenant_id", Id, primary_key=True),
    Column("span", String(4), primary_key=True),  # hour | day
    Column("dimension", String(8), primary_key=True),  # channel | country | carrier
    Column("start", Micros, primary_key=True),
    Column("value", String(32), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("segments", BigInteger, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    *(Column(f"lat_{i:02d}", BigInteger, nullable=False) for i in range(LATENCY_BUCKETS)),
    Index(None, "organization_id", "span", "dimension", "start"),
)


retention_policies = Table(
    "retention_policies",
    metadata,
    # One row per organization or profile (tenant); a profile's row overrides its
    # organization's, field by field; NULL means "inherit" (then the deployment default).
    Column("tenant_id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("messages_days", Integer, nullable=True),
    Column("activities_days", Integer, nullable=True),
    Column("idempotency_days", Integer, nullable=True),
    Column("redact_days", Integer, nullable=True),
    Column("redacted_through", Micros, nullable=True),  # bodies before this are redacted
    Column("updated_at", Micros, nullable=False),
)

rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    # The dialects' rate limits when counted in PostgreSQL: one row per limit and caller,
    # its hits in the window ending at ``ends_at`` (the database's clock).  A hit after
    # that starts the row's next window; rows of ended windows are pruned now and then.
    # UNLOGGED on PostgreSQL (see migration 0016): counts need no crash safety or replica.
    Column("key", String(200), primary_key=True),
    Column("hits", BigInteger, nullable=False),
    Column("ends_at", Micros, nullable=False),
)
