"""SQL statements written as SQLAlchemy Core, compiled once per backend (:class:`Query`),
and their parameters bound in the order the driver takes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement, ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = [
    "Params",
    "Query",
    "StatementFactory",
    "bind_params",
    "in_list",
    "ordered_names",
    "row_getter",
]


class _SqliteCompiler(sqlite.base.SQLiteCompiler):
    """Renders a table hint (``with_hint(table, "INDEXED BY ix", "sqlite")``) after the
    table's name, which SQLAlchemy's SQLite compiler leaves out."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def _sqlite_dialect() -> Dialect:
    dialect = sqlite.dialect()
    dialect.statement_compiler = _SqliteCompiler
    return dialect


_DIALECTS: dict[str, Dialect] = {
    "sqlite": _sqlite_dialect(),
    "postgresql": postgresql.asyncpg.dialect(),  # type: ignore[no-untyped-call]
}


Params = Mapping[str, Any]
StatementFactory = Callable[[str], ClauseElement]


class Query:
    """A statement compiled lazily, once per backend, into SQL text and a parameter order.

    ``Query(stmt)`` for a fixed statement, ``Query(lambda dialect: stmt)`` where the statement
    differs by backend (``dialect`` is ``"sqlite"`` or ``"postgresql"``).
    """

    __slots__ = ("_cache", "_factory")

    def __init__(self, statement: ClauseElement | StatementFactory) -> None:
        if isinstance(statement, ClauseElement):
            fixed = statement
            self._factory: StatementFactory = lambda _dialect: fixed
        else:
            self._factory = statement
        self._cache: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {}

    def compiled(self, dialect: str) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        """SQL text, parameter names in positional order, and literal defaults."""
        hit = self._cache.get(dialect)
        if hit is None:
            statement = self._factory(dialect)
            compiled = cast(
                SQLCompiler,
                statement.compile(
                    dialect=_DIALECTS[dialect], compile_kwargs={"render_postcompile": True}
                ),
            )
            names = tuple(compiled.positiontup or ())
            binds = compiled.binds
            literal = compiled.params
            defaults = {n: literal[n] for n in names if n not in binds or not binds[n].required}
            hit = (str(compiled), names, defaults)
            self._cache[dialect] = hit
        return hit


def bind_params(query: Query, dialect: str, params: Params | None) -> tuple[str, tuple[Any, ...]]:
    sql, names, defaults = query.compiled(dialect)
    if not names:
        return sql, ()
    if defaults:
        merged = dict(defaults)
        if params:
            merged.update(params)
        params = merged
    assert params is not None, "query needs parameters"
    if len(names) == 1:
        return sql, (params[names[0]],)
    return sql, _getter(names)(params)


def ordered_names(query: Query, dialect: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The statement's parameter names if they are ``names`` in that order, with no literal
    defaults (a caller that passes parameters by position must give every one)."""
    _sql, expected, defaults = query.compiled(dialect)
    if expected != names or defaults:
        raise ValueError(f"parameters are {expected}, not {names}")
    return expected


@cache
def row_getter(names: tuple[str, ...]) -> Callable[[Params], tuple[Any, ...]]:
    """Picks a row's parameters in positional order, always as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    return _getter(names)


@cache
def _getter(names: tuple[str, ...]) -> Callable[[Params], tuple[Any, ...]]:
    """Picks parameters out of a mapping in positional order (two or more names)."""
    return cast(Callable[[Params], tuple[Any, ...]], itemgetter(*names))


def in_list(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN (<list parameter name>)`` as one cacheable statement on both backends.

    PostgreSQL receives an array (``= ANY($n)``); SQLite receives the list as JSON text and
    reads it with ``json_each``, so a statement's text never depends on the list's length.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name))
    )
    return column.in_(values.scalar_subquery())
