"""The metadata every table belongs to, its naming convention and the column types the
tables share."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData, String

__all__ = ["NAMING_CONVENTION", "AutoId", "Id", "Micros", "metadata"]


NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# An auto-incrementing 64-bit key; SQLite only auto-increments INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")
Id = String(36)
Micros = BigInteger
