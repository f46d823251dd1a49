"""Listings newest first that seek on an index instead of walking a tenant's rows.

Every listing is ordered by ``(created_at, id)`` descending, and every filter it offers has
an index that starts with the tenant and the filter's equality columns and ends with
``(created_at, id)``: a page is then a seek and a read of ``limit`` entries, whatever the
table's size and however rare the filter's rows are.

A set of values (several statuses, or a status with any channel) cannot seek in order on
one index range, so it is read as branches, one per combination of values: each branch
seeks its own range and stops after ``depth`` (the page's limit plus offset) rows, and the
branches are merged in order (``UNION ALL`` of at most ``depth`` rows each).

Statements differ by shape (which filters, how many branches), never by value: a caller
keys its compiled :class:`~signalpost.storage.statements.Query` by :class:`Shape` and builds the
statement only the first time a shape is seen.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, bindparam, select, tuple_, union_all
from sqlalchemy.sql import ColumnElement

from signalpost.storage.statements import Query

__all__ = [
    "Cursor",
    "Shape",
    "StatementCache",
    "newest_first",
    "older_than",
    "oldest_after",
    "seeking",
]

Cursor = tuple[int, Any]
"""A keyset position: the ``(created_at, id)`` of the last row of the previous page."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What decides a listing's statement text: its seek path, filters and branch count."""

    path: str
    filters: tuple[str, ...]
    statuses: int
    branches: int
    cursor: bool
    extra: Hashable = None


class StatementCache:
    """Compiled listing statements by shape (a bounded number: shapes, not values)."""

    def __init__(self) -> None:
        self._queries: dict[Shape, Query] = {}

    def get(self, shape: Shape, build: Callable[[], Any]) -> Query:
        query = self._queries.get(shape)
        if query is None:
            query = self._queries[shape] = Query(build())
        return query


def older_than(created: ColumnElement[Any], ident: ColumnElement[Any]) -> ColumnElement[bool]:
    """``(created_at, id) < (:c_at, :c_id)``: the rows after a keyset cursor, newest first."""
    return tuple_(created, ident) < tuple_(bindparam("c_at"), bindparam("c_id"))


def seeking(stmt: Select[Any], table: Table, index: str | None) -> Select[Any]:
    """``stmt`` reading ``table`` through ``index`` on SQLite (``INDEXED BY``).

    SQLite plans without statistics and cannot tell a selective equality from a common
    one; the listing knows which index serves its filter and says so.  PostgreSQL chooses
    from its statistics (the plan tests check that it takes a seek).
    """
    if index is None:
        return stmt
    return stmt.with_hint(table, f"INDEXED BY {index}", dialect_name="sqlite")


def newest_first(
    table: Table,
    columns: Sequence[ColumnElement[Any]],
    where: Sequence[ColumnElement[bool]],
    branches: Sequence[Sequence[ColumnElement[bool]]],
    order: tuple[ColumnElement[Any], ColumnElement[Any]],
    *,
    index: str | None = None,
) -> Select[Any]:
    """``columns`` of ``table``'s rows matching ``where`` and any one branch, newest first,
    read through ``index`` (see :func:`seeking`).

    ``order`` is the table's ``(created_at, id)``; both must be among ``columns``.  The
    page is ``LIMIT :limit OFFSET :offset``; with more than one branch, each branch reads
    at most ``:depth`` rows (the limit plus the offset).
    """
    created, ident = order
    if len(branches) <= 1:
        terms = [*where, *(branches[0] if branches else ())]
        stmt = select(*columns).where(*terms).order_by(created.desc(), ident.desc())
        return _paged(seeking(stmt, table, index))
    parts = [
        select(
            seeking(
                select(*columns)
                .where(*where, *branch)
                .order_by(created.desc(), ident.desc())
                .limit(bindparam("depth")),
                table,
                index,
            ).subquery()
        )
        for branch in branches
    ]
    merged = union_all(*parts).subquery("merged")
    position = {id(c): i for i, c in enumerate(columns)}
    out = list(merged.c)
    stmt = select(*out).order_by(out[position[id(created)]].desc(), out[position[id(ident)]].desc())
    return _paged(stmt)


def oldest_after(
    table: Table,
    columns: Sequence[ColumnElement[Any]],
    where: Sequence[ColumnElement[bool]],
    branches: Sequence[Sequence[ColumnElement[bool]]],
    ident: ColumnElement[Any],
    *,
    index: str | None = None,
) -> Select[Any]:
    """``columns`` of the first ``:limit`` rows after ``:after_id`` in id order (a tail),
    matching ``where`` and any one branch; each branch reads at most ``:limit`` rows."""
    after = [*where, ident > bindparam("after_id")]

    def part(branch: Sequence[ColumnElement[bool]]) -> Select[Any]:
        stmt = select(*columns).where(*after, *branch).order_by(ident)
        return seeking(stmt.limit(bindparam("limit")), table, index)

    if len(branches) <= 1:
        return part(branches[0] if branches else ())
    merged = union_all(*(select(part(b).subquery()) for b in branches)).subquery("merged")
    out = list(merged.c)
    position = {id(c): i for i, c in enumerate(columns)}
    return select(*out).order_by(out[position[id(ident)]]).limit(bindparam("limit"))


def _paged(stmt: Select[Any]) -> Select[Any]:
    return stmt.limit(bindparam("limit")).offset(bindparam("offset"))
