"""sender and hold indexes hold only rows that have a sender or a hold: a send without
them adds three index entries fewer per message, and every lookup by a sender or a hold
(an equality, which never matches a missing value) reads the same entries as before

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# (table, index, columns, the column a row needs a value in to be indexed)
_INDEXES = (
    (
        "messages",
        "ix_messages_tenant_id_from_number_created_at_id",
        ["tenant_id", "from_number", "created_at", "id"],
        "from_number",
    ),
    (
        "activities",
        "ix_activities_tenant_id_from_number_listing",
        ["tenant_id", "from_number", "status", "created_at", "id", "channel"],
        "from_number",
    ),
    ("dispatch_queue", "ix_dispatch_queue_hold_key", ["hold_key"], "hold_key"),
)


def upgrade() -> None:
    for table, name, columns, present in _INDEXES:
        where = sa.text(f"{present} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for table, name, columns, _present in _INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
