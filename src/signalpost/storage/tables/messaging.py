"""Tables of messages and their activities, what sends are made from (templates, send
definitions) and the idempotency keys that replay a request's answer."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from signalpost.storage.tables.base import AutoId, Id, Micros, metadata

__all__ = ["activities", "idempotency_keys", "messages", "send_definitions", "templates"]


templates = Table(
    "templates",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("name", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("channels", Text, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    UniqueConstraint("tenant_id", "name"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("batch_id", Id, nullable=False),
    Column("message_key", String(128), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("to_number", String(20), nullable=False),
    Column("from_number", String(32), nullable=True),
    Column("region_code", String(2), nullable=True),
    Column("body", Text, nullable=False),
    Column("template_id", Id, nullable=True),
    Column("template_name", String(200), nullable=True),
    Column("encoding", String(8), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("price_micros", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason_code", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("carrier", String(32), nullable=True),
    Column("carrier_message_id", String(64), nullable=True),
    Column("dialect", String(16), nullable=False),
    Column("metadata", Text, nullable=True),
    Column("scheduled_at", Micros, nullable=True),
    Column("expires_at", Micros, nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    Column("sent_at", Micros, nullable=True),
    Column("delivered_at", Micros, nullable=True),
    Column("attempts", Integer, nullable=False),
    # Bumped by every update of the row: with the newest activity id, the version that
    # cached lookups are checked against.
    Column("revision", Integer, nullable=False, server_default=text("0")),
    # Sent with a test key: always through the simulator, whatever carrier is configured.
    Column("test", Boolean, nullable=False, server_default=false()),
    Column("request_id", String(64), nullable=True),  # the accepting request, for logs
    # Listings: one index per filter, the tenant first and the listing order (created_at,
    # id) last, so a filter seeks its rows newest first and stops after a page.  A status
    # set is read as one branch per (channel, status) pair (``storage/listing.py``).
    Index(None, "tenant_id", "created_at", "id"),
    Index(None, "tenant_id", "channel", "status", "created_at", "id"),
    Index(None, "tenant_id", "to_number", "created_at", "id"),
    # Only messages with a sender: a lookup by sender (an equality) never matches a missing one.
    Index(
        None,
        "tenant_id",
        "from_number",
        "created_at",
        "id",
        sqlite_where=text("from_number IS NOT NULL"),
        postgresql_where=text("from_number IS NOT NULL"),
    ),
    Index(None, "batch_id", "created_at", "id"),
    # Partial indexes: rows enter them only when the value exists, so an insert touches
    # three b-trees (primary key, batch, tenant listing) instead of seven.
    Index(
        "uq_messages_tenant_id_message_key",
        "tenant_id",
        "message_key",
        unique=True,
        sqlite_where=text("message_key IS NOT NULL"),
        postgresql_where=text("message_key IS NOT NULL"),
    ),
    Index(
        "ix_messages_carrier_message_id",
        "carrier",
        "carrier_message_id",
        sqlite_where=text("carrier_message_id IS NOT NULL"),
        postgresql_where=text("carrier_message_id IS NOT NULL"),
    ),
    Index(
        "ix_messages_sent_expires_at",
        "expires_at",
        sqlite_where=text("status = 'sent'"),
        postgresql_where=text("status = 'sent'"),
    ),
)

activities = Table(
    "activities",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("message_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("status", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("reason_code", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("error_code", String(32), nullable=True),
    Column("price_micros", BigInteger, nullable=True),
    Column("created_at", Micros, nullable=False),
    # Copied from the message (they never change), so that listings filter and seek on
    # the activity's own indexes instead of joining every row to its message.
    Column("channel", String(16), nullable=True),
    Column("from_number", String(32), nullable=True),
    Index(None, "message_id", "id"),
    # The live tail (activities after a given id, oldest first), a branch per status.
    Index(None, "tenant_id", "status", "id"),
    # Listings newest first, as on messages: a filter's index ends with (created_at, id).
    Index(None, "tenant_id", "created_at", "id"),
    Index(None, "tenant_id", "channel", "status", "created_at", "id"),
    # The channel comes last: it is checked on the index entry, without a row read, and
    # the sender's statuses take one branch each instead of one per (channel, status).
    Index(
        "ix_activities_tenant_id_from_number_listing",
        "tenant_id",
        "from_number",
        "status",
        "created_at",
        "id",
        "channel",
        sqlite_where=text("from_number IS NOT NULL"),
        postgresql_where=text("from_number IS NOT NULL"),
    ),
)


idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", Id, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("expires_at", Micros, nullable=False, index=True),
)


send_definitions = Table(
    "send_definitions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("definition_key", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("sender", String(32), nullable=True),
    Column("attributes", Text, nullable=True),  # JSON object of dialect-specific settings
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    Column("archived_at", Micros, nullable=False),  # 0 while live; keys are reusable after
    UniqueConstraint("tenant_id", "definition_key", "archived_at"),
    UniqueConstraint("tenant_id", "name", "archived_at"),
    Index(None, "tenant_id", "created_at"),
)
