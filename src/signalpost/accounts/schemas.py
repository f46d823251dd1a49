"""Value types of the accounts domain."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "KEY_KINDS",
    "ApiKey",
    "ApiKeyCreated",
    "Organization",
    "Principal",
    "Profile",
    "Scope",
]

KEY_KINDS = ("live", "test")
"""``live`` keys send through the configured carriers; ``test`` keys only to the simulator."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key and what it is scoped to."""

    key_id: str
    organization_id: str
    profile_id: str | None
    test: bool = False
    home: Scope = field(init=False, compare=False, repr=False)
    """The tenant the key acts for unless told otherwise (made once, not per request)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Scope(self.organization_id, self.profile_id, self.test))

    @property
    def is_organization_key(self) -> bool:
        return self.profile_id is None


@dataclass(frozen=True, slots=True)
class Scope:
    """The tenant a request acts for: the organization itself or one of its profiles.

    Every tenant-owned row carries ``tenant_id``; reads and writes filter on it, so one
    tenant never sees another's data.
    """

    organization_id: str
    profile_id: str | None
    test: bool = False
    """Acting with a test key: messages go to the simulator and are marked as test."""

    @property
    def tenant_id(self) -> str:
        return self.profile_id or self.organization_id


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    organization_id: str
    name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class ApiKeyCreated:
    """A new key. ``api_key`` is shown once and stored only as a hash."""

    id: str
    organization_id: str
    profile_id: str | None
    api_key: str
    prefix: str
    kind: str = "live"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key as listed: never its secret, only the prefix that identifies it."""

    id: str
    organization_id: str
    profile_id: str | None
    name: str | None
    prefix: str
    kind: str
    created_at: int
    revoked_at: int | None
    expires_at: int | None
    """Set by a rotation: the key works until then."""
    replaced_by: str | None
    last_used_at: int | None
    """Recorded in batches: may lag real use by up to a minute."""

    def state(self, now: int) -> str:
        """``active``, ``expiring`` (rotated, in its grace period), ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is None:
            return "active"
        return "expiring" if self.expires_at > now else "expired"
