"""Table definitions: the single source of truth that Alembic migrations must match.

Times are integer microseconds since the Unix epoch (UTC) on both backends: exact, cheap to
compare and identical in SQLite and PostgreSQL.  Money is integer micro-units of the
currency.  Identifiers are UUID strings.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

__all__ = [
    "activities",
    "api_keys",
    "carrier_holders",
    "carrier_rates",
    "carrier_slots",
    "change_counters",
    "compliance_settings",
    "consent_recipients",
    "console_sessions",
    "console_users",
    "contact_group_members",
    "contact_groups",
    "contacts",
    "dispatch_queue",
    "idempotency_keys",
    "messages",
    "metadata",
    "oauth_clients",
    "oauth_tokens",
    "organizations",
    "parked_receipts",
    "profiles",
    "rate_limit_windows",
    "retention_policies",
    "send_definitions",
    "sender_numbers",
    "sim_submits",
    "smpp_messages",
    "smpp_mo_parts",
    "smpp_parts",
    "stats_rollups",
    "submit_attempts",
    "templates",
    "webhook_attempts",
    "webhook_endpoints",
    "webhook_events",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# An auto-incrementing 64-bit key; SQLite only auto-increments INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")
Id = String(36)
Micros = BigInteger

organizations = Table(
    "organizations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", Micros, nullable=False),
)

profiles = Table(
    "profiles",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("created_at", Micros, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False, index=True),
    Column("profile_id", Id, nullable=True),
    Column("name", String(200), nullable=True),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Micros, nullable=False),
    Column("revoked_at", Micros, nullable=True),
    Column("kind", String(8), nullable=False, server_default=text("'live'")),  # live or test
    # A rotated key keeps working until expires_at; replaced_by names its successor.
    Column("expires_at", Micros, nullable=True),
    Column("replaced_by", Id, nullable=True),
    Column("last_used_at", Micros, nullable=True),  # written in batches, not per request
)

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

dispatch_queue = Table(
    "dispatch_queue",
    metadata,
    Column("message_id", Id, primary_key=True),
    Column("due_at", Micros, nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("leased_by", String(64), nullable=True),
    # The group a held message waits with (e.g. its send definition); held rows are due at
    # HELD_DUE_AT until the group is released.
    Column("hold_key", String(64), nullable=True),
    # A carrier this process could not send over handed the row to the processes that can
    # (those holding the carrier's bind slots); others pass it by.
    Column("for_carrier", String(32), nullable=True),
    Index(
        None,
        "hold_key",
        sqlite_where=text("hold_key IS NOT NULL"),
        postgresql_where=text("hold_key IS NOT NULL"),
    ),
)

submit_attempts = Table(
    "submit_attempts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("message_id", Id, nullable=False, index=True),
    Column("attempt_no", Integer, nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("carrier_message_id", String(64), nullable=True),
    Column("error_code", String(32), nullable=True),
    Column("error_reason", Text, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("completed_at", Micros, nullable=True),
)

# Receipts that arrived before what they are about was recorded (storage/parking.py): scope
# "message" (a carrier id the platform has not stored yet) or "part" (an SMPP part whose
# submit_sm_resp the SMPP carrier has not recorded yet).
parked_receipts = Table(
    "parked_receipts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("carrier_message_id", String(65), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason_code", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("error_code", String(32), nullable=True),
    Column("occurred_at", Micros, nullable=False),
    Column("received_at", Micros, nullable=False),
    Index(None, "scope", "carrier", "carrier_message_id"),
    Index(None, "scope", "carrier", "received_at"),
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

sim_submits = Table(
    "sim_submits",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("attempt_key", String(64), nullable=False, unique=True),
    Column("message_ref", String(64), nullable=False, index=True),
    Column("destination", String(20), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("carrier_message_id", String(64), nullable=True),
    Column("receipt_status", String(16), nullable=True),
    Column("receipt_due_at", Micros, nullable=True, index=True),
    Column("created_at", Micros, nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("dialect", String(16), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("secret", String(255), nullable=False),
    Column("previous_secret", String(255), nullable=True),
    Column("previous_secret_expires_at", Micros, nullable=True),
    Column("event_types", Text, nullable=False),  # JSON list; empty = every event
    Column("description", String(500), nullable=True),
    Column("attributes", Text, nullable=True),  # JSON object of dialect-specific settings
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("disabled_at", Micros, nullable=True),
    Column("consecutive_failures", Integer, nullable=False),
    # Events given up in a row since the last delivered one (some formats disable on it).
    Column("failed_events", Integer, nullable=False, server_default=text("0")),
    Column("failing_since", Micros, nullable=True),
    Column("max_attempts", Integer, nullable=True),
    Column("timeout_seconds", Integer, nullable=True),
    Column("last_attempt_at", Micros, nullable=True),
    Column("last_success_at", Micros, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    Index(None, "tenant_id", "created_at"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Id, primary_key=True),  # the stable id receivers de-duplicate on
    Column("endpoint_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("message_id", Id, nullable=True),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("due_at", Micros, nullable=True, index=True),  # NULL once delivered or given up
    Column("leased_by", String(64), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("finished_at", Micros, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("request_id", String(64), nullable=True),  # of the message's accepting request
    Index(None, "endpoint_id", "created_at"),
    # An endpoint's next due events, for claims that look past another endpoint's backlog;
    # delivered and abandoned events (no due time) stay out of it.
    Index(
        "ix_webhook_events_endpoint_id_due_at",
        "endpoint_id",
        "due_at",
        sqlite_where=text("due_at IS NOT NULL"),
        postgresql_where=text("due_at IS NOT NULL"),
    ),
    # Finished events by age, for pruning after the retention period.
    Index(
        "ix_webhook_events_finished_at",
        "finished_at",
        sqlite_where=text("finished_at IS NOT NULL"),
        postgresql_where=text("finished_at IS NOT NULL"),
    ),
    # Events kept for a disabled endpoint, by age, for giving up those past the window.
    Index(
        "ix_webhook_events_paused_created_at",
        "created_at",
        sqlite_where=text("status = 'paused'"),
        postgresql_where=text("status = 'paused'"),
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("event_id", Id, nullable=False, index=True),
    Column("endpoint_id", Id, nullable=False),
    Column("tenant_id", Id, nullable=False),
    Column("attempt_no", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("response_body", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", Micros, nullable=False),
    Index(None, "tenant_id", "id"),
)

oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("id", Id, primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("organization_id", Id, nullable=False, index=True),
    Column("profile_id", Id, nullable=True),
    Column("name", String(200), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("revoked_at", Micros, nullable=True),
)

oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("client_id", Id, nullable=False),  # oauth_clients.id
    Column("organization_id", Id, nullable=False),
    Column("profile_id", Id, nullable=True),
    Column("scope", Text, nullable=True),
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

# SMPP: one row per message sent over SMPP (its id is the carrier_message_id the platform
# records), one row per accepted part with the SMSC's id, and parts of long
# mobile-originated messages waiting for the rest.
smpp_messages = Table(
    "smpp_messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("message_id", Id, nullable=False, unique=True),
    Column("carrier", String(32), nullable=True),  # the connection that completed the submit
    Column("parts", Integer, nullable=False),
    Column("concat_ref", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # partial | sent | closed
    Column("outcome", String(16), nullable=True),  # the decided status, once decided
    Column("outcome_reason_code", String(32), nullable=True),
    Column("outcome_reason", Text, nullable=True),
    Column("outcome_error_code", String(32), nullable=True),
    Column("outcome_at", Micros, nullable=True),
    Column("report_due", Boolean, nullable=False, index=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
)

smpp_parts = Table(
    "smpp_parts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("smpp_message_id", String(32), nullable=False),  # smpp_messages.id
    Column("part_no", Integer, nullable=False),
    Column("connection", String(32), nullable=False),
    Column("smsc_message_id", String(65), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason_code", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("error_code", String(32), nullable=True),
    Column("submitted_at", Micros, nullable=False),
    Column("done_at", Micros, nullable=True),
    UniqueConstraint("smpp_message_id", "part_no"),
    Index(None, "connection", "smsc_message_id"),
)

smpp_mo_parts = Table(
    "smpp_mo_parts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("connection", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("ref", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("part_no", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", Micros, nullable=False),
    UniqueConstraint("connection", "source", "destination", "ref", "part_no"),
)

# Limits shared by every process on the database (signalpost.storage.limits).
carrier_slots = Table(
    "carrier_slots",
    metadata,
    Column("carrier", String(32), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("holder", String(64), nullable=True),  # the process holding the slot's lease
    Column("lease_until", Micros, nullable=False),
)

carrier_holders = Table(
    "carrier_holders",
    metadata,
    Column("carrier", String(32), primary_key=True),
    Column("holder", String(64), primary_key=True),  # a process sharing the carrier's slots
    Column("seen_until", Micros, nullable=False),  # it counts until then unless it renews
)

carrier_rates = Table(
    "carrier_rates",
    metadata,
    Column("carrier", String(32), primary_key=True),
    Column("next_at", Micros, nullable=False),  # the start of the next unreserved send slot
)

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

# Per tenant, hour or day of acceptance (UTC), one dimension (channel, country or carrier)
# and its value, and current status: how many messages, their segments and cost, and (rows
# of delivered and read) a histogram of the time from accepted to delivered.  Moved in the
# transaction of every state change, so a late receipt moves its message from ``sent`` to
# ``delivered`` in the period it was accepted.
LATENCY_BUCKETS = 20
stats_rollups = Table(
    "stats_rollups",
    metadata,
    Column("tenant_id", Id, primary_key=True),
    Column("span", String(4), primary_key=True),  # hour | day
    Column("dimension", String(8), primary_key=True),  # channel | country | carrier
    Column("start", Micros, primary_key=True),
    Column("value", String(32), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("segments", BigInteger, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    *(Column(f"lat_{i:02d}", BigInteger, nullable=False) for i in range(LATENCY_BUCKETS)),
    Index(None, "organization_id", "span", "dimension", "start"),
)

console_users = Table(
    "console_users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False, index=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", Micros, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("last_login_at", Micros, nullable=True),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token
    Column("user_id", Id, nullable=False, index=True),
    Column("organization_id", Id, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("expires_at", Micros, nullable=False),
)

change_counters = Table(
    "change_counters",
    metadata,
    # Bumped in the transaction of a change other processes must notice soon (a revoked
    # API key): each process reads the value at most once a second instead of per request.
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

retention_policies = Table(
    "retention_policies",
    metadata,
    # One row per organization or profile (tenant); a profile's row overrides its
    # organization's, field by field; NULL means "inherit" (then the deployment default).
    Column("tenant_id", Id, primary_key=True),
    Column("organization_id", Id, nullable=False),
    Column("messages_days", Integer, nullable=True),
    Column("activities_days", Integer, nullable=True),
    Column("idempotency_days", Integer, nullable=True),
    Column("redact_days", Integer, nullable=True),
    Column("redacted_through", Micros, nullable=True),  # bodies before this are redacted
    Column("updated_at", Micros, nullable=False),
)

rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    # The dialects' rate limits when counted in PostgreSQL: one row per limit and caller,
    # its hits in the window ending at ``ends_at`` (the database's clock).  A hit after
    # that starts the row's next window; rows of ended windows are pruned now and then.
    # UNLOGGED on PostgreSQL (see migration 0016): counts need no crash safety or replica.
    Column("key", String(200), primary_key=True),
    Column("hits", BigInteger, nullable=False),
    Column("ends_at", Micros, nullable=False),
)
