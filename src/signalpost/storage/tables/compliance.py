"""Tables of who may be sent to and from what: consent (the suppression list), compliance
settings (keywords, quiet hours) and the tenants' sender numbers."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text, UniqueConstraint, text

from signalpost.storage.tables.base import Id, Micros, metadata

__all__ = ["compliance_settings", "consent_recipients", "sender_numbers"]


sender_numbers = Table(
    "sender_numbers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("phone_number", String(20), nullable=False, unique=True),  # E.164; one tenant each
    Column("label", String(200), nullable=True),
    Column("paused", Boolean, nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    # in the tenant's pool: sends without a sender pick one of these (sticky per recipient)
    Column("pool", Boolean, nullable=False, server_default=text("false")),
    Index(None, "tenant_id", "created_at", "id"),
)

consent_recipients = Table(
    "consent_recipients",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("phone_number", String(20), nullable=False),
    Column("status", String(16), nullable=False),  # active | opted_out
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    Column("reason", Text, nullable=True),  # why the number is on the suppression list
    Column("source", String(16), nullable=True),  # keyword | api | import | carrier | dialect
    UniqueConstraint("tenant_id", "phone_number"),
    Index(None, "tenant_id", "created_at", "id"),
    Index(None, "tenant_id", "status", "updated_at", "id"),  # the suppression list, newest first
)

compliance_settings = Table(
    "compliance_settings",
    metadata,
    Column("tenant_id", Id, primary_key=True),  # an organization or one of its profiles
    Column("organization_id", Id, nullable=False),
    Column("auto_reply", Boolean, nullable=False),
    Column("opt_out_reply", Text, nullable=True),  # NULL: the default reply
    Column("opt_in_reply", Text, nullable=True),
    Column("help_reply", Text, nullable=True),
    Column("opt_out_words", Text, nullable=False),  # JSON list of extra keywords
    Column("opt_in_words", Text, nullable=False),
    Column("help_words", Text, nullable=False),
    Column("quiet_hours", Text, nullable=False),  # JSON {"US": "21:00-08:00", "*": ...}
    Column("quiet_categories", Text, nullable=False),  # JSON list, e.g. ["marketing"]
    Column("updated_at", Micros, nullable=False),
)
