"""smpp tables

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "smpp_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("concat_ref", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_reason_code", sa.String(length=32), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("outcome_error_code", sa.String(length=32), nullable=True),
        sa.Column("outcome_at", sa.BigInteger(), nullable=True),
        sa.Column("report_due", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_smpp_messages_message_id")),
    )
    with op.batch_alter_table("smpp_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smpp_messages_report_due"), ["report_due"], unique=False
        )

    op.create_table(
        "smpp_parts",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("smpp_message_id", sa.String(length=32), nullable=False),
        sa.Column("part_no", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(length=32), nullable=False),
        sa.Column("smsc_message_id", sa.String(length=65), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False),
        sa.Column("done_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_parts")),
        sa.UniqueConstraint(
            "smpp_message_id", "part_no", name=op.f("uq_smpp_parts_smpp_message_id_part_no")
        ),
    )
    with op.batch_alter_table("smpp_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smpp_parts_connection_smsc_message_id"),
            ["connection", "smsc_message_id"],
            unique=False,
        )

    op.create_table(
        "smpp_parked_receipts",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(length=32), nullable=False),
        sa.Column("smsc_message_id", sa.String(length=65), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_parked_receipts")),
    )
    with op.batch_alter_table("smpp_parked_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smpp_parked_receipts_connection_smsc_message_id"),
            ["connection", "smsc_message_id"],
            unique=False,
        )

    op.create_table(
        "smpp_mo_parts",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("part_no", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_mo_parts")),
        sa.UniqueConstraint(
            "connection",
            "source",
            "destination",
            "ref",
            "part_no",
            name=op.f("uq_smpp_mo_parts_connection_source_destination_ref_part_no"),
        ),
    )


def downgrade() -> None:
    op.drop_table("smpp_mo_parts")
    with op.batch_alter_table("smpp_parked_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_smpp_parked_receipts_connection_smsc_message_id"))
    op.drop_table("smpp_parked_receipts")
    with op.batch_alter_table("smpp_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_smpp_parts_connection_smsc_message_id"))
    op.drop_table("smpp_parts")
    with op.batch_alter_table("smpp_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_smpp_messages_report_due"))
    op.drop_table("smpp_messages")
