"""Tables of webhook endpoints, their events (the outbox) and delivery attempts."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, text

from signalpost.storage.tables.base import AutoId, Id, Micros, metadata

__all__ = ["webhook_attempts", "webhook_endpoints", "webhook_events"]


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
