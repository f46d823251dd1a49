"""Value types of the accounts domain."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ApiKeyCreated", "Organization", "Principal", "Profile", "Scope"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key and what it is scoped to."""

    key_id: str
    organization_id: str
    profile_id: str | None
    home: Scope = field(init=False, compare=False, repr=False)
    """The tenant the key acts for unless told otherwise (made once, not per request)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Scope(self.organization_id, self.profile_id))

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
