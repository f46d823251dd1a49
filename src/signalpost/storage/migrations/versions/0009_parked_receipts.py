"""parked_receipts: one table for receipts waiting for what they are about

Replaces orphan_receipts (scope "message") and smpp_parked_receipts (scope "part"),
keeping the rows they hold.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_FIELDS = "status, reason_code, reason, error_code, occurred_at, received_at"


def _receipt_columns(id_column: str, key_column: str, key_length: int) -> list[sa.Column[object]]:
    return [
        sa.Column(id_column, sa.String(length=32), nullable=False),
        sa.Column(key_column, sa.String(length=key_length), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "parked_receipts",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        *_receipt_columns("carrier", "carrier_message_id", 65),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_receipts")),
    )
    with op.batch_alter_table("parked_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parked_receipts_scope_carrier_carrier_message_id"),
            ["scope", "carrier", "carrier_message_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_parked_receipts_scope_carrier_received_at"),
            ["scope", "carrier", "received_at"],
            unique=False,
        )
    op.execute(
        f"INSERT INTO parked_receipts (scope, carrier, carrier_message_id, {_FIELDS}) "
        f"SELECT 'message', carrier, carrier_message_id, {_FIELDS} FROM orphan_receipts "
        "ORDER BY id"
    )
    op.execute(
        f"INSERT INTO parked_receipts (scope, carrier, carrier_message_id, {_FIELDS}) "
        f"SELECT 'part', connection, smsc_message_id, {_FIELDS} FROM smpp_parked_receipts "
        "ORDER BY id"
    )
    with op.batch_alter_table("orphan_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orphan_receipts_carrier_carrier_message_id"))
    op.drop_table("orphan_receipts")
    with op.batch_alter_table("smpp_parked_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_smpp_parked_receipts_connection_smsc_message_id"))
    op.drop_table("smpp_parked_receipts")


def downgrade() -> None:
    op.create_table(
        "orphan_receipts",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        *_receipt_columns("carrier", "carrier_message_id", 64),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orphan_receipts")),
    )
    with op.batch_alter_table("orphan_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orphan_receipts_carrier_carrier_message_id"),
            ["carrier", "carrier_message_id"],
            unique=False,
        )
    op.create_table(
        "smpp_parked_receipts",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        *_receipt_columns("connection", "smsc_message_id", 65),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_parked_receipts")),
    )
    with op.batch_alter_table("smpp_parked_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smpp_parked_receipts_connection_smsc_message_id"),
            ["connection", "smsc_message_id"],
            unique=False,
        )
    op.execute(
        f"INSERT INTO orphan_receipts (carrier, carrier_message_id, {_FIELDS}) "
        f"SELECT carrier, carrier_message_id, {_FIELDS} FROM parked_receipts "
        "WHERE scope = 'message' AND length(carrier_message_id) <= 64 ORDER BY id"
    )
    op.execute(
        f"INSERT INTO smpp_parked_receipts (connection, smsc_message_id, {_FIELDS}) "
        f"SELECT carrier, carrier_message_id, {_FIELDS} FROM parked_receipts "
        "WHERE scope = 'part' ORDER BY id"
    )
    with op.batch_alter_table("parked_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parked_receipts_scope_carrier_received_at"))
        batch_op.drop_index(batch_op.f("ix_parked_receipts_scope_carrier_carrier_message_id"))
    op.drop_table("parked_receipts")
