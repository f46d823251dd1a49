"""Value types of templates."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Template"]


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    tenant_id: str
    name: str
    body: str
    category: str
    channels: tuple[str, ...]
    variables: tuple[str, ...]
    created_at: int
    updated_at: int
