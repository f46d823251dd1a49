"""Storage: table definitions, migrations and the database layer. Only repositories use it."""

from signalpost.storage.clock import clock_us
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
    "clock_us",
    "in_list",
    "open_database",
    "ping",
]
