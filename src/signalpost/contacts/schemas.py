"""Value types of contacts."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Contact", "ContactFilter", "RecipientPreferences"]


@dataclass(frozen=True, slots=True)
class Contact:
    """A phone number a tenant knows, with its consent and channel preference."""

    id: str
    tenant_id: str
    phone_number: str  # E.164
    default_channel: str | None
    opt_out: bool  # from consent, the platform's one record of opt-outs
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class ContactFilter:
    phone: str | None = None  # exact E.164
    search: str | None = None  # substring of the number's digits


@dataclass(frozen=True, slots=True)
class RecipientPreferences:
    """What the contacts of a send's recipients ask for."""

    opted_out: frozenset[str]  # E.164 numbers that opted out (their messages end filtered)
    default_channels: dict[str, str]  # E.164 number -> the contact's default channel
