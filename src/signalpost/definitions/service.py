"""Create, read, list, change and archive send definitions; hold and release their queue.

Deactivating a definition holds its waiting messages in the dispatch queue; activating it
again releases them.  A send through an inactive definition is stored and queued held.
Archiving (delete) cancels the messages still held, since they can no longer be released.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.definitions import repository as repo
from signalpost.definitions.exceptions import (
    DefinitionExists,
    DefinitionNotFound,
    InvalidDefinitionOperation,
)
from signalpost.definitions.schemas import (
    Definition,
    DefinitionFilter,
    DefinitionPage,
    DefinitionPatch,
    DefinitionSpec,
    DefinitionStatus,
    QueueDepth,
)
from signalpost.dispatch import holds
from signalpost.errors import ValidationFailed
from signalpost.messages.transitions import Recorder
from signalpost.storage import Connection, Row, UniqueViolation
from signalpost.timeutil import new_id, now_us

__all__ = [
    "archive",
    "clear_queue",
    "create",
    "get",
    "get_for_send",
    "list_definitions",
    "queue_depth",
    "update",
]

MAX_KEY = 200
MAX_NAME = 200
MAX_CONTENT = 4096
MAX_SENDER = 32


def _to_definition(row: Row) -> Definition:
    attributes = row["attributes"]
    return Definition(
        id=row["id"],
        organization_id=row["organization_id"],
        tenant_id=row["tenant_id"],
        key=row["definition_key"],
        name=row["name"],
        description=row["description"],
        status=DefinitionStatus(row["status"]),
        content=row["content"],
        sender=row["sender"],
        attributes=orjson.loads(attributes) if attributes else {},
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _check_text(errors: dict[str, list[str]], name: str, value: str | None, limit: int) -> None:
    if value is not None and not 0 < len(value.strip()) <= limit:
        errors[name] = [f"must not be empty and at most {limit} characters"]


def _validate(
    *, key: str | None, name: str | None, content: str | None, sender: str | None
) -> None:
    errors: dict[str, list[str]] = {}
    _check_text(errors, "key", key, MAX_KEY)
    _check_text(errors, "name", name, MAX_NAME)
    _check_text(errors, "content", content, MAX_CONTENT)
    _check_text(errors, "sender", sender, MAX_SENDER)
    if errors:
        raise ValidationFailed(details=errors)


async def create(conn: Connection, scope: Scope, spec: DefinitionSpec) -> Definition:
    """A new definition; 409 when a live one has the same key or name."""
    _validate(key=spec.key, name=spec.name, content=spec.content, sender=spec.sender)
    if spec.status == DefinitionStatus.DELETED:
        raise ValidationFailed(details={"status": ["must be active or inactive"]})
    now = now_us()
    row = {
        "id": new_id(),
        "organization_id": scope.organization_id,
        "tenant_id": scope.tenant_id,
        "definition_key": spec.key,
        "name": spec.name,
        "description": spec.description,
        "status": spec.status.value,
        "content": spec.content,
        "sender": spec.sender,
        "attributes": orjson.dumps(dict(spec.attributes)).decode() if spec.attributes else None,
        "created_at": now,
        "updated_at": now,
        "archived_at": repo.LIVE,
    }
    try:
        await repo.insert_row(conn, row)
    except UniqueViolation as exc:
        raise DefinitionExists() from exc
    return _to_definition(row)  # type: ignore[arg-type]


async def get(conn: Connection, scope: Scope, key: str) -> Definition:
    """A live definition of this tenant by key, or 404."""
    row = await repo.get_live(conn, scope.tenant_id, key)
    if row is None:
        raise DefinitionNotFound()
    return _to_definition(row)


async def get_for_send(conn: Connection, scope: Scope, key: str) -> Definition:
    """Like :func:`get`, inside the send's transaction: a concurrent status change waits
    (PostgreSQL row lock), so a send never slips past a hold that is being placed."""
    row = await repo.get_live(conn, scope.tenant_id, key, for_send=True)
    if row is None:
        raise DefinitionNotFound()
    return _to_definition(row)


async def list_definitions(
    conn: Connection, scope: Scope, flt: DefinitionFilter, *, page: int, page_size: int
) -> DefinitionPage:
    """One page (1-based) of definitions; archived ones only when the filter asks for them."""
    rows, total = await repo.search(
        conn, scope.tenant_id, flt, limit=page_size, offset=(page - 1) * page_size
    )
    return DefinitionPage([_to_definition(r) for r in rows], total)


def _changes(current: Definition, patch: DefinitionPatch) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, column in (
        ("name", "name"),
        ("content", "content"),
        ("sender", "sender"),
        ("description", "description"),
    ):
        value = getattr(patch, field)
        if value is not None and value != getattr(current, field):
            values[column] = value
    if patch.status is not None and patch.status != current.status:
        values["status"] = patch.status.value
    if patch.attributes:
        merged: Mapping[str, Any] = {**current.attributes, **patch.attributes}
        values["attributes"] = orjson.dumps(dict(merged)).decode()
    return values


async def update(conn: Connection, scope: Scope, key: str, patch: DefinitionPatch) -> Definition:
    """Change fields; a status change holds (inactive) or releases (active) the queue."""
    _validate(key=None, name=patch.name, content=patch.content, sender=patch.sender)
    if patch.status == DefinitionStatus.DELETED:
        raise ValidationFailed(details={"status": ["delete the definition to archive it"]})
    current = await get_for_send(conn, scope, key)
    values = _changes(current, patch)
    if not values:
        return current
    values["updated_at"] = now_us()
    try:
        await repo.update_fields(conn, current.id, values)
    except UniqueViolation as exc:
        raise DefinitionExists() from exc
    if values.get("status") == DefinitionStatus.INACTIVE:
        await holds.hold(conn, current.hold_key)
    elif values.get("status") == DefinitionStatus.ACTIVE:
        await holds.release(conn, current.hold_key)
    return await get(conn, scope, key)


async def archive(conn: Connection, recorder: Recorder, scope: Scope, key: str) -> Definition:
    """Delete (archive) a definition; messages still held for it are cancelled."""
    current = await get_for_send(conn, scope, key)
    await repo.archive(conn, current.id, now_us())
    await holds.clear(conn, recorder, current.hold_key, "Send definition deleted")
    return current


async def queue_depth(conn: Connection, scope: Scope, key: str) -> QueueDepth:
    """How many messages sent through the definition still wait in the queue."""
    current = await get(conn, scope, key)
    count, oldest = await holds.depth(conn, current.hold_key)
    return QueueDepth(count, oldest)


async def clear_queue(conn: Connection, recorder: Recorder, scope: Scope, key: str) -> int:
    """Cancel the held messages of an inactive definition; returns how many."""
    current = await get_for_send(conn, scope, key)
    if current.status != DefinitionStatus.INACTIVE:
        raise InvalidDefinitionOperation("Definition status must be inactive to delete queue")
    return await holds.clear(conn, recorder, current.hold_key, "Queue cleared by the caller")
