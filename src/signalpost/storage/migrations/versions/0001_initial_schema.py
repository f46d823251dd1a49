"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:12:49.125880
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("price_micros", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activities_message_id_id"), ["message_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_tenant_id_id"), ["tenant_id", "id"], unique=False
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_keys_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "dispatch_queue",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_dispatch_queue")),
    )
    with op.batch_alter_table("dispatch_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_queue_due_at"), ["due_at"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("message_key", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("region_code", sa.String(length=2), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=True),
        sa.Column("template_name", sa.String(length=200), nullable=True),
        sa.Column("encoding", sa.String(length=8), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("carrier_message_id", sa.String(length=64), nullable=True),
        sa.Column("dialect", sa.String(length=16), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("scheduled_at", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_messages_carrier_message_id",
            ["carrier", "carrier_message_id"],
            unique=False,
            sqlite_where=sa.text("carrier_message_id IS NOT NULL"),
            postgresql_where=sa.text("carrier_message_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_messages_sent_expires_at",
            ["expires_at"],
            unique=False,
            sqlite_where=sa.text("status = 'sent'"),
            postgresql_where=sa.text("status = 'sent'"),
        )
        batch_op.create_index(
            batch_op.f("ix_messages_tenant_id_created_at_id"),
            ["tenant_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_messages_tenant_id_message_key",
            ["tenant_id", "message_key"],
            unique=True,
            sqlite_where=sa.text("message_key IS NOT NULL"),
            postgresql_where=sa.text("message_key IS NOT NULL"),
        )

    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "orphan_receipts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("carrier_message_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orphan_receipts")),
    )
    with op.batch_alter_table("orphan_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orphan_receipts_carrier_carrier_message_id"),
            ["carrier", "carrier_message_id"],
            unique=False,
        )

    op.create_table(
        "profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profiles_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "sim_submits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("attempt_key", sa.String(length=64), nullable=False),
        sa.Column("message_ref", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("carrier_message_id", sa.String(length=64), nullable=True),
        sa.Column("receipt_status", sa.String(length=16), nullable=True),
        sa.Column("receipt_due_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_submits")),
        sa.UniqueConstraint("attempt_key", name=op.f("uq_sim_submits_attempt_key")),
    )
    with op.batch_alter_table("sim_submits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sim_submits_message_ref"), ["message_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sim_submits_receipt_due_at"), ["receipt_due_at"], unique=False
        )

    op.create_table(
        "submit_attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("carrier_message_id", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submit_attempts")),
    )
    with op.batch_alter_table("submit_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submit_attempts_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "templates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("channels", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_templates_tenant_id_name")),
    )


def downgrade() -> None:
    op.drop_table("templates")
    with op.batch_alter_table("submit_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submit_attempts_message_id"))

    op.drop_table("submit_attempts")
    with op.batch_alter_table("sim_submits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sim_submits_receipt_due_at"))
        batch_op.drop_index(batch_op.f("ix_sim_submits_message_ref"))

    op.drop_table("sim_submits")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profiles_organization_id"))

    op.drop_table("profiles")
    with op.batch_alter_table("orphan_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orphan_receipts_carrier_carrier_message_id"))

    op.drop_table("orphan_receipts")
    op.drop_table("organizations")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("uq_messages_tenant_id_message_key")
        batch_op.drop_index(batch_op.f("ix_messages_tenant_id_created_at_id"))
        batch_op.drop_index("ix_messages_sent_expires_at")
        batch_op.drop_index("ix_messages_carrier_message_id")
        batch_op.drop_index(batch_op.f("ix_messages_batch_id"))

    op.drop_table("messages")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_expires_at"))

    op.drop_table("idempotency_keys")
    with op.batch_alter_table("dispatch_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_queue_due_at"))

    op.drop_table("dispatch_queue")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_organization_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_tenant_id_id"))
        batch_op.drop_index(batch_op.f("ix_activities_message_id_id"))

    op.drop_table("activities")
