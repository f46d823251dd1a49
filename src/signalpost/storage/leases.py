"""Lease claims: the one statement every queue of the platform uses to take due rows.

A claim moves up to ``:limit`` rows whose due column is ``<= :now`` to ``:lease_until`` (so
no other claimer sees them until the lease runs out) and returns them.  On PostgreSQL
concurrent claimers skip each other's rows (``FOR UPDATE SKIP LOCKED``); on SQLite the
write lock makes the claimer single.  A claimer that dies lets the lease run out, and the
rows are claimed again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.sql import ColumnElement, Update
from sqlalchemy.sql.schema import Column

__all__ = ["lease_claim"]


def lease_claim(
    key: Column[Any],
    due: Column[Any],
    *,
    returning: Sequence[ColumnElement[Any]],
    values: Mapping[str, Any] | None = None,
    where: Callable[[str], ColumnElement[bool]] | None = None,
) -> Any:
    """A statement factory for :class:`~signalpost.storage.Query`: claim the rows of
    ``key``'s table by ``due``, setting ``values`` as well, returning ``returning``;
    ``where`` (built per dialect) narrows the rows that may be claimed.

    Parameters: ``now``, ``limit``, ``lease_until`` and any bound in ``values``/``where``.
    """
    table = key.table

    def build(dialect: str) -> Update:
        earliest = select(key).where(due <= bindparam("now"))
        if where is not None:
            earliest = earliest.where(where(dialect))
        earliest = earliest.order_by(due)
        earliest = earliest.limit(bindparam("limit"))
        if dialect == "postgresql":
            earliest = earliest.with_for_update(skip_locked=True)
        return (
            update(table)
            .where(key.in_(earliest.scalar_subquery()))
            .values({due.name: bindparam("lease_until"), **(values or {})})
            .returning(*returning)
        )

    return build
