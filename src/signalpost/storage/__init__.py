"""Storage: table definitions, migrations and the database layer. Only repositories use it."""

from signalpost.storage.backends import open_database
from signalpost.storage.clock import clock_us
from signalpost.storage.db import (
    Connection,
    Database,
    IntegrityViolation,
    Row,
    UniqueViolation,
    ping,
)
from signalpost.storage.statements import Query, in_list

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
