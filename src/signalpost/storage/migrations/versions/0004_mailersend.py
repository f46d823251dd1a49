"""mailersend tables: sender_numbers, consent_recipients

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sender_numbers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sender_numbers")),
        sa.UniqueConstraint("phone_number", name=op.f("uq_sender_numbers_phone_number")),
    )
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sender_numbers_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "consent_recipients",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_recipients")),
        sa.UniqueConstraint(
            "tenant_id", "phone_number", name=op.f("uq_consent_recipients_tenant_id_phone_number")
        ),
    )
    with op.batch_alter_table("consent_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_recipients_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_recipients_tenant_id_created_at_id"))
    op.drop_table("consent_recipients")
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sender_numbers_tenant_id_created_at_id"))
    op.drop_table("sender_numbers")
