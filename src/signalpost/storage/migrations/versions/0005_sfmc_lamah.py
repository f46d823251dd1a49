"""sfmc_lamah tables: OAuth clients and tokens, send definitions, queue holds, contact groups

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispatch_queue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_dispatch_queue_hold_key"), ["hold_key"], unique=False)

    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_clients_client_id")),
    )
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_clients_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "oauth_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oauth_tokens")),
    )
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_tokens_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "send_definitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("definition_key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("archived_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_definitions")),
        sa.UniqueConstraint(
            "tenant_id",
            "definition_key",
            "archived_at",
            name=op.f("uq_send_definitions_tenant_id_definition_key_archived_at"),
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "name",
            "archived_at",
            name=op.f("uq_send_definitions_tenant_id_name_archived_at"),
        ),
    )
    with op.batch_alter_table("send_definitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_send_definitions_tenant_id_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "contact_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_groups")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_contact_groups_tenant_id_name")),
    )
    op.create_table(
        "contact_group_members",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "phone_number", name=op.f("pk_contact_group_members")),
    )


def downgrade() -> None:
    op.drop_table("contact_group_members")
    op.drop_table("contact_groups")
    with op.batch_alter_table("send_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_definitions_tenant_id_created_at"))
    op.drop_table("send_definitions")
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_tokens_expires_at"))
    op.drop_table("oauth_tokens")
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_clients_organization_id"))
    op.drop_table("oauth_clients")
    with op.batch_alter_table("dispatch_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_queue_hold_key"))
        batch_op.drop_column("hold_key")
