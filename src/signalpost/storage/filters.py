"""The filters that listings share: a status set, exact matches, a half-open time range.

Each value that is given becomes a ``WHERE`` term with a bound parameter; values that are
``None`` (or an empty status set) leave the statement as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam
from sqlalchemy.sql import ColumnElement

__all__ = ["where_filters"]

_Stmt = TypeVar("_Stmt", bound=Select[Any])


def where_filters(
    stmt: _Stmt,
    params: dict[str, Any],
    *,
    status: ColumnElement[Any],
    statuses: Sequence[str],
    equal: Iterable[tuple[ColumnElement[Any], str, Any]],
    created: ColumnElement[Any],
    created_from: int | None,
    created_to: int | None,
) -> _Stmt:
    """``stmt`` narrowed by the given filters; their parameters are added to ``params``."""
    if statuses:
        names = [f"status_{i}" for i in range(len(statuses))]
        stmt = stmt.where(status.in_([bindparam(n) for n in names]))
        params.update(zip(names, statuses, strict=True))
    for column, name, value in equal:
        if value is not None:
            stmt = stmt.where(column == bindparam(name))
            params[name] = value
    if created_from is not None:
        stmt = stmt.where(created >= bindparam("created_from"))
        params["created_from"] = created_from
    if created_to is not None:
        stmt = stmt.where(created < bindparam("created_to"))
        params["created_to"] = created_to
    return stmt
