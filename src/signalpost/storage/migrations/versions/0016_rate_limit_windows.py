"""rate_limit_windows: the dialects' rate-limit counts shared by every API process
(UNLOGGED on PostgreSQL: counts need neither crash safety nor replication)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    unlogged = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_windows")),
        prefixes=["UNLOGGED"] if unlogged else [],
    )


def downgrade() -> None:
    op.drop_table("rate_limit_windows")
