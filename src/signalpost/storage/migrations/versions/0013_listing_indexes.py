"""listings: an index per filter on messages and activities; activities carry channel and sender

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MESSAGE_INDEXES = {
    "ix_messages_tenant_id_channel_status_created_at_id": [
        "tenant_id",
        "channel",
        "status",
        "created_at",
        "id",
    ],
    "ix_messages_tenant_id_to_number_created_at_id": ["tenant_id", "to_number", "created_at", "id"],
    "ix_messages_tenant_id_from_number_created_at_id": [
        "tenant_id",
        "from_number",
        "created_at",
        "id",
    ],
    "ix_messages_batch_id_created_at_id": ["batch_id", "created_at", "id"],
}
_ACTIVITY_INDEXES = {
    "ix_activities_tenant_id_status_id": ["tenant_id", "status", "id"],
    "ix_activities_tenant_id_created_at_id": ["tenant_id", "created_at", "id"],
    "ix_activities_tenant_id_channel_status_created_at_id": [
        "tenant_id",
        "channel",
        "status",
        "created_at",
        "id",
    ],
    "ix_activities_tenant_id_from_number_listing": [
        "tenant_id",
        "from_number",
        "status",
        "created_at",
        "id",
        "channel",
    ],
}


def _backfill() -> None:
    """Existing activities take their message's channel and sender (never changed)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE activities AS a SET channel = m.channel, from_number = m.from_number "
            "FROM messages AS m WHERE m.id = a.message_id"
        )
    else:
        op.execute(
            "UPDATE activities SET "
            "channel = (SELECT m.channel FROM messages AS m WHERE m.id = activities.message_id), "
            "from_number = "
            "(SELECT m.from_number FROM messages AS m WHERE m.id = activities.message_id)"
        )


def upgrade() -> None:
    op.add_column("activities", sa.Column("channel", sa.String(length=16), nullable=True))
    op.add_column("activities", sa.Column("from_number", sa.String(length=32), nullable=True))
    _backfill()
    for name, columns in _MESSAGE_INDEXES.items():
        op.create_index(name, "messages", columns, unique=False)
    op.drop_index("ix_messages_batch_id", table_name="messages")
    for name, columns in _ACTIVITY_INDEXES.items():
        op.create_index(name, "activities", columns, unique=False)
    op.drop_index("ix_activities_tenant_id_id", table_name="activities")


def downgrade() -> None:
    op.create_index("ix_activities_tenant_id_id", "activities", ["tenant_id", "id"], unique=False)
    for name in _ACTIVITY_INDEXES:
        op.drop_index(name, table_name="activities")
    op.create_index("ix_messages_batch_id", "messages", ["batch_id"], unique=False)
    for name in _MESSAGE_INDEXES:
        op.drop_index(name, table_name="messages")
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("from_number")
        batch.drop_column("channel")
