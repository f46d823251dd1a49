"""Tables of who may act: organizations, their profiles, API keys, OAuth clients and
tokens, console users and sessions, and the counters that tell processes of a change."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, text

from signalpost.storage.tables.base import Id, Micros, metadata

__all__ = [
    "api_keys",
    "change_counters",
    "console_sessions",
    "console_users",
    "oauth_clients",
    "oauth_tokens",
    "organizations",
    "profiles",
]


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
