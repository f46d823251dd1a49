"""carrier_slots (bind slots leased by processes), carrier_holders (the processes sharing
them), carrier_rates (a carrier's shared send rate), dispatch_queue.for_carrier (a row
handed to the processes that hold a carrier)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carrier_slots",
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("carrier", "slot", name=op.f("pk_carrier_slots")),
    )
    op.create_table(
        "carrier_holders",
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("seen_until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("carrier", "holder", name=op.f("pk_carrier_holders")),
    )
    op.create_table(
        "carrier_rates",
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("next_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("carrier", name=op.f("pk_carrier_rates")),
    )
    with op.batch_alter_table("dispatch_queue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("for_carrier", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dispatch_queue", schema=None) as batch_op:
        batch_op.drop_column("for_carrier")
    op.drop_table("carrier_rates")
    op.drop_table("carrier_holders")
    op.drop_table("carrier_slots")
