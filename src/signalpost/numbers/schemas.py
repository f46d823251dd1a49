"""Value types of sender numbers."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NumberFilter", "SenderNumber"]


@dataclass(frozen=True, slots=True)
class SenderNumber:
    """A phone number registered to one tenant; a paused number may not send."""

    id: str
    organization_id: str
    tenant_id: str
    phone_number: str  # E.164
    label: str | None
    paused: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class NumberFilter:
    paused: bool | None = None
