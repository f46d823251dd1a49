"""compliance_settings (each tenant's extra keywords, auto-replies and quiet hours);
consent_recipients: reason and source of each suppression, and an index of the list;
sender_numbers.pool: the numbers a send without a sender picks from

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compliance_settings",
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("organization_id", sa.String(36), nullable=False),
        sa.Column("auto_reply", sa.Boolean(), nullable=False),
        sa.Column("opt_out_reply", sa.Text(), nullable=True),
        sa.Column("opt_in_reply", sa.Text(), nullable=True),
        sa.Column("help_reply", sa.Text(), nullable=True),
        sa.Column("opt_out_words", sa.Text(), nullable=False),
        sa.Column("opt_in_words", sa.Text(), nullable=False),
        sa.Column("help_words", sa.Text(), nullable=False),
        sa.Column("quiet_hours", sa.Text(), nullable=False),
        sa.Column("quiet_categories", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_compliance_settings")),
    )
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pool", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    with op.batch_alter_table("consent_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(16), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_consent_recipients_tenant_id_status_updated_at_id"),
            ["tenant_id", "status", "updated_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_recipients_tenant_id_status_updated_at_id"))
        batch_op.drop_column("source")
        batch_op.drop_column("reason")
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.drop_column("pool")
    op.drop_table("compliance_settings")
