"""stats_rollups (filled from existing messages), console users and sessions

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LATENCY_BUCKETS = 20
# Upper bounds in milliseconds of the latency buckets (signalpost.stats.histogram.BOUNDS_MS,
# copied: a migration never changes with the code that follows it).
_BOUNDS_MS = (
    250, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000,
    600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
)  # fmt: skip
_HOUR_US = 3_600_000_000


def _create_tables() -> None:
    op.create_table(
        "stats_rollups",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("span", sa.String(length=4), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("segments", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        *(sa.Column(f"lat_{i:02d}", sa.BigInteger(), nullable=False) for i in range(20)),
        sa.PrimaryKeyConstraint(
            "tenant_id", "span", "dimension", "start", "value", "status",
            name=op.f("pk_stats_rollups"),
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_stats_rollups_organization_id_span_dimension_start"),
        "stats_rollups",
        ["organization_id", "span", "dimension", "start"],
    )
    op.create_table(
        "console_users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_login_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("email", name=op.f("uq_console_users_email")),
    )
    op.create_index(op.f("ix_console_users_organization_id"), "console_users", ["organization_id"])
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
    )
    op.create_index(op.f("ix_console_sessions_user_id"), "console_sessions", ["user_id"])


def backfill_statements() -> list[str]:
    """SQL that rolls up the messages already stored, as their state changes would have."""
    latency = "(delivered_at - created_at) / 1000"
    bucket = (
        "CASE "
        + " ".join(f"WHEN {latency} < {bound} THEN {i}" for i, bound in enumerate(_BOUNDS_MS))
        + f" ELSE {len(_BOUNDS_MS)} END"
    )
    delivered = "status IN ('delivered', 'read') AND delivered_at IS NOT NULL"
    lat_columns = ", ".join(f"lat_{i:02d}" for i in range(LATENCY_BUCKETS))
    lat_sums = ", ".join(
        f"SUM(CASE WHEN {delivered} AND {bucket} = {i} THEN 1 ELSE 0 END)"
        for i in range(LATENCY_BUCKETS)
    )
    dimensions = {
        "channel": "channel",
        "country": "COALESCE(region_code, '')",
        "carrier": "COALESCE(carrier, '')",
    }
    statements = []
    for span, length in (("hour", _HOUR_US), ("day", 24 * _HOUR_US)):
        start = f"created_at - created_at % {length}"
        for dimension, value in dimensions.items():
            statements.append(
                "INSERT INTO stats_rollups (tenant_id, span, dimension, start, value, status, "
                f"organization_id, messages, segments, cost_micros, {lat_columns}) "
                f"SELECT tenant_id, '{span}', '{dimension}', {start}, {value}, status, "
                "MIN(organization_id), COUNT(*), SUM(segments), SUM(price_micros), "
                f"{lat_sums} FROM messages WHERE status <> 'received' "
                f"GROUP BY tenant_id, {start}, {value}, status"
            )
    return statements


def upgrade() -> None:
    _create_tables()
    for statement in backfill_statements():
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("console_sessions")
    op.drop_table("console_users")
    op.drop_table("stats_rollups")
