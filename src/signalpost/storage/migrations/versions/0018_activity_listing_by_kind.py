"""activities lose their (tenant_id, created_at, id) index: a tenant's activities, unfiltered
or by dates only, are read as one branch per (channel, status) of the status index, each a
seek, merged newest first; every status step of a message writes one index entry fewer

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_NAME = "ix_activities_tenant_id_created_at_id"


def upgrade() -> None:
    op.drop_index(_NAME, table_name="activities")


def downgrade() -> None:
    op.create_index(_NAME, "activities", ["tenant_id", "created_at", "id"])
