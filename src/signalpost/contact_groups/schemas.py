"""Value types of contact groups."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ContactGroup"]


@dataclass(frozen=True, slots=True)
class ContactGroup:
    id: str
    tenant_id: str
    name: str
    members: tuple[str, ...]  # E.164, in the order they were added
    created_at: int
