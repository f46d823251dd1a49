"""Value types of send definitions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "Definition",
    "DefinitionFilter",
    "DefinitionPage",
    "DefinitionPatch",
    "DefinitionSpec",
    "DefinitionStatus",
    "QueueDepth",
]


class DefinitionStatus(StrEnum):
    ACTIVE = "active"  # sends are dispatched
    INACTIVE = "inactive"  # sends are stored and held in the queue
    DELETED = "deleted"  # archived: no sends; the key may be used again


@dataclass(frozen=True, slots=True)
class Definition:
    id: str
    organization_id: str
    tenant_id: str
    key: str
    name: str
    description: str | None
    status: DefinitionStatus
    content: str
    sender: str | None
    attributes: Mapping[str, Any]
    created_at: int
    updated_at: int

    @property
    def hold_key(self) -> str:
        """The queue group its messages wait with."""
        return f"definition:{self.id}"


@dataclass(frozen=True, slots=True)
class DefinitionSpec:
    key: str
    name: str
    content: str
    sender: str | None = None
    description: str | None = None
    status: DefinitionStatus = DefinitionStatus.ACTIVE
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DefinitionPatch:
    """A partial update: None leaves a field as it is; ``attributes`` are merged."""

    name: str | None = None
    content: str | None = None
    sender: str | None = None
    description: str | None = None
    status: DefinitionStatus | None = None
    attributes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DefinitionFilter:
    status: DefinitionStatus | None = None
    exclude: bool = False  # status != the given one
    order_by: str = "created_at"  # key, name, created_at, updated_at, status
    descending: bool = False


@dataclass(frozen=True, slots=True)
class DefinitionPage:
    items: list[Definition]
    total: int


@dataclass(frozen=True, slots=True)
class QueueDepth:
    count: int
    oldest_created_at: int | None
