"""Storage: table definitions, migrations and the database layer. Only repositories use it."""

from signalpost.storage.db import (
    Connection,
    Database,
    IntegrityViolation,
    Query,
    Row,
    UniqueViolation,
    in_list,
    open_database,
    ping,
)

__all__ = [
    "Connection",
    "Database",
    "IntegrityViolation",
    "Query",
    "Row",
    "UniqueViolation",
    "in_list",
    "open_database",
    "ping",
]
