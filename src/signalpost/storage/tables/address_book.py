"""Tables of contacts and contact groups."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, UniqueConstraint

from signalpost.storage.tables.base import Id, Micros, metadata

__all__ = ["contact_group_members", "contact_groups", "contacts"]


contacts = Table(
    "contacts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("phone_number", String(20), nullable=False),
    Column("default_channel", String(16), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("tenant_id", "phone_number"),
    Index(None, "tenant_id", "created_at", "id"),
)


contact_groups = Table(
    "contact_groups",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("tenant_id", "name"),
)

contact_group_members = Table(
    "contact_group_members",
    metadata,
    Column("group_id", Id, primary_key=True),
    Column("phone_number", String(20), primary_key=True),  # E.164
    Column("created_at", Micros, nullable=False),
)
