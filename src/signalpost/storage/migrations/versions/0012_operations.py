"""operations: API key lifecycle, test messages, request ids, retention policies

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "api_keys",
        sa.Column("kind", sa.String(length=8), server_default=sa.text("'live'"), nullable=False),
    )
    op.add_column("api_keys", sa.Column("expires_at", sa.BigInteger(), nullable=True))
    op.add_column("api_keys", sa.Column("replaced_by", sa.String(length=36), nullable=True))
    op.add_column("api_keys", sa.Column("last_used_at", sa.BigInteger(), nullable=True))
    op.add_column(
        "messages",
        sa.Column("test", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("messages", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.add_column("webhook_events", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counters")),
    )
    op.execute("INSERT INTO change_counters (name, value) VALUES ('api_keys', 0)")
    op.create_table(
        "retention_policies",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("messages_days", sa.Integer(), nullable=True),
        sa.Column("activities_days", sa.Integer(), nullable=True),
        sa.Column("idempotency_days", sa.Integer(), nullable=True),
        sa.Column("redact_days", sa.Integer(), nullable=True),
        sa.Column("redacted_through", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_retention_policies")),
    )


def downgrade() -> None:
    op.drop_table("retention_policies")
    op.drop_table("change_counters")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("request_id")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("request_id")
        batch_op.drop_column("test")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("replaced_by")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("kind")
