"""Value types of the OAuth domain."""

from __future__ import annotations

from dataclasses import dataclass

from signalpost.accounts.schemas import Scope

__all__ = ["ClientCreated", "IssuedToken", "TokenGrant"]


@dataclass(frozen=True, slots=True)
class ClientCreated:
    """A new client. ``client_secret`` is shown once and stored only as a hash."""

    id: str
    client_id: str
    client_secret: str
    organization_id: str
    profile_id: str | None


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a client asks for: its credentials, the account to act for and the scopes."""

    client_id: str
    client_secret: str
    account_id: str | None = None
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new access token. ``access_token`` is shown once and stored only as a hash."""

    access_token: str
    scope: Scope
    granted_scope: str | None
    expires_at: int  # microseconds
