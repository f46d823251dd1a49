"""webhook_endpoints.failed_events; webhook_events indexes for pruning and paused events

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "webhook_endpoints",
        sa.Column("failed_events", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.create_index(
        "ix_webhook_events_finished_at",
        "webhook_events",
        ["finished_at"],
        unique=False,
        sqlite_where=sa.text("finished_at IS NOT NULL"),
        postgresql_where=sa.text("finished_at IS NOT NULL"),
    )
    op.create_index(
        "ix_webhook_events_paused_created_at",
        "webhook_events",
        ["created_at"],
        unique=False,
        sqlite_where=sa.text("status = 'paused'"),
        postgresql_where=sa.text("status = 'paused'"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_events_paused_created_at", table_name="webhook_events")
    op.drop_index("ix_webhook_events_finished_at", table_name="webhook_events")
    with op.batch_alter_table("webhook_endpoints") as batch_op:
        batch_op.drop_column("failed_events")
