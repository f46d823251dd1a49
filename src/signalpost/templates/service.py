"""Create, read, update and delete templates; resolve one for a send."""

from __future__ import annotations

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.domain.placeholders import variables_of
from signalpost.errors import ValidationFailed
from signalpost.storage import Connection, Row, UniqueViolation
from signalpost.templates import repository as repo
from signalpost.templates.exceptions import TemplateNameTaken, TemplateNotFound
from signalpost.templates.schemas import Template
from signalpost.timeutil import new_id, now_us

__all__ = ["create", "delete", "find", "get", "list_templates", "update"]

CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")


def _to_template(row: Row) -> Template:
    channels = tuple(orjson.loads(row["channels"])) if row["channels"] else ("sms",)
    return Template(
        row["id"],
        row["tenant_id"],
        row["name"],
        row["body"],
        row["category"],
        channels,
        tuple(variables_of(row["body"])),
        row["created_at"],
        row["updated_at"],
    )


def _validate(name: str, body: str, category: str) -> None:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["must not be empty"]
    if not body.strip():
        errors["body"] = ["must not be empty"]
    if category not in CATEGORIES:
        errors["category"] = [f"must be one of {', '.join(CATEGORIES)}"]
    if errors:
        raise ValidationFailed(details=errors)


async def create(
    conn: Connection,
    scope: Scope,
    *,
    name: str,
    body: str,
    category: str = "UTILITY",
    channels: tuple[str, ...] = ("sms",),
) -> Template:
    _validate(name, body, category)
    now = now_us()
    row = {
        "id": new_id(),
        "organization_id": scope.organization_id,
        "tenant_id": scope.tenant_id,
        "name": name,
        "body": body,
        "category": category,
        "channels": orjson.dumps(list(channels)).decode(),
        "created_at": now,
        "updated_at": now,
    }
    try:
        await repo.insert_one(conn, row)
    except UniqueViolation as exc:
        raise TemplateNameTaken() from exc
    fetched = await repo.get(conn, scope.tenant_id, str(row["id"]))
    assert fetched is not None
    return _to_template(fetched)


async def get(conn: Connection, scope: Scope, template_id: str) -> Template:
    row = await repo.get(conn, scope.tenant_id, template_id)
    if row is None:
        raise TemplateNotFound()
    return _to_template(row)


async def find(
    conn: Connection, scope: Scope, *, template_id: str | None, name: str | None
) -> Template | None:
    """A template by id or, failing that, by name; None when neither matches."""
    row = None
    if template_id:
        row = await repo.get(conn, scope.tenant_id, template_id)
    if row is None and name:
        row = await repo.get_by_name(conn, scope.tenant_id, name)
    return _to_template(row) if row is not None else None


async def list_templates(
    conn: Connection, scope: Scope, *, limit: int = 50, offset: int = 0
) -> list[Template]:
    return [_to_template(r) for r in await repo.list_all(conn, scope.tenant_id, limit, offset)]


async def update(
    conn: Connection,
    scope: Scope,
    template_id: str,
    *,
    name: str | None = None,
    body: str | None = None,
    category: str | None = None,
    channels: tuple[str, ...] | None = None,
) -> Template:
    current = await get(conn, scope, template_id)
    new_name = name if name is not None else current.name
    new_body = body if body is not None else current.body
    new_category = category if category is not None else current.category
    _validate(new_name, new_body, new_category)
    row = {
        "name": new_name,
        "body": new_body,
        "category": new_category,
        "channels": orjson.dumps(list(channels or current.channels)).decode(),
        "updated_at": now_us(),
    }
    try:
        await repo.update_one(conn, scope.tenant_id, template_id, row)
    except UniqueViolation as exc:
        raise TemplateNameTaken() from exc
    return await get(conn, scope, template_id)


async def delete(conn: Connection, scope: Scope, template_id: str) -> None:
    if not await repo.delete_one(conn, scope.tenant_id, template_id):
        raise TemplateNotFound()
