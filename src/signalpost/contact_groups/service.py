"""Create contact groups and read them with their members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from signalpost.accounts.schemas import Scope
from signalpost.contact_groups import repository as repo
from signalpost.contact_groups.exceptions import GroupExists, GroupNotFound
from signalpost.contact_groups.schemas import ContactGroup
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.errors import ValidationFailed
from signalpost.storage import Connection, UniqueViolation
from signalpost.timeutil import new_id, now_us

__all__ = ["MAX_MEMBERS", "create_group", "get_group"]

MAX_MEMBERS = 10_000
MAX_NAME = 200


def _numbers(raw: Sequence[str]) -> tuple[str, ...]:
    errors: dict[str, list[str]] = {}
    numbers: list[str] = []
    for index, value in enumerate(raw):
        try:
            numbers.append(parse_phone(value).e164)
        except InvalidPhoneNumber as exc:
            errors[f"members[{index}]"] = [str(exc)]
    if len(raw) > MAX_MEMBERS:
        errors["members"] = [f"at most {MAX_MEMBERS} numbers"]
    if errors:
        raise ValidationFailed(details=errors)
    return tuple(dict.fromkeys(numbers))


async def create_group(
    conn: Connection, scope: Scope, name: str, members: Sequence[str]
) -> ContactGroup:
    """A new group of this tenant; numbers are validated and de-duplicated."""
    if not 0 < len(name.strip()) <= MAX_NAME:
        raise ValidationFailed(details={"name": [f"1 to {MAX_NAME} characters"]})
    numbers = _numbers(members)
    now = now_us()
    group = ContactGroup(new_id(), scope.tenant_id, name, numbers, now)
    row = {
        "id": group.id,
        "organization_id": scope.organization_id,
        "tenant_id": scope.tenant_id,
        "name": name,
        "created_at": now,
        "updated_at": now,
    }
    try:
        await repo.insert_group(conn, row)
    except UniqueViolation as exc:
        raise GroupExists() from exc
    await repo.insert_members(conn, group.id, numbers, now)
    return group


async def get_group(conn: Connection, scope: Scope, group_id: str) -> ContactGroup:
    """A group of this tenant with its members, or :class:`GroupNotFound`."""
    try:
        canonical = str(uuid.UUID(group_id))
    except ValueError as exc:
        raise GroupNotFound() from exc
    row = await repo.get_group(conn, scope.tenant_id, canonical)
    if row is None:
        raise GroupNotFound()
    members = await repo.members_of(conn, canonical)
    return ContactGroup(row["id"], row["tenant_id"], row["name"], tuple(members), row["created_at"])
