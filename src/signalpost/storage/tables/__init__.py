"""Table definitions: the single source of truth that Alembic migrations must match.

Times are integer microseconds since the Unix epoch (UTC) on both backends: exact, cheap to
compare and identical in SQLite and PostgreSQL.  Money is integer micro-units of the
currency.  Identifiers are UUID strings.  Every table belongs to :data:`metadata`
(:mod:`~signalpost.storage.tables.base`); each module here holds the tables of one area.
"""

from signalpost.storage.tables.accounts import (
    api_keys,
    change_counters,
    console_sessions,
    console_users,
    oauth_clients,
    oauth_tokens,
    organizations,
    profiles,
)
from signalpost.storage.tables.address_book import contact_group_members, contact_groups, contacts
from signalpost.storage.tables.base import metadata
from signalpost.storage.tables.compliance import (
    compliance_settings,
    consent_recipients,
    sender_numbers,
)
from signalpost.storage.tables.dispatch import (
    carrier_holders,
    carrier_rates,
    carrier_slots,
    dispatch_queue,
    parked_receipts,
    sim_submits,
    smpp_messages,
    smpp_mo_parts,
    smpp_parts,
    submit_attempts,
)
from signalpost.storage.tables.messaging import (
    activities,
    idempotency_keys,
    messages,
    send_definitions,
    templates,
)
from signalpost.storage.tables.operations import (
    rate_limit_windows,
    retention_policies,
    stats_rollups,
)
from signalpost.storage.tables.webhooks import webhook_attempts, webhook_endpoints, webhook_events

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
