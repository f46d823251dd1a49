"""Liveness and readiness of a process, for ``/healthz`` and ``/readyz``.

Ready means: the database answers within a deadline, its schema is at this code's
migration head, the worker loops this process runs are alive, and every configured SMPP
connection has a bound session.  Each check is reported by name, so an operator sees
which one failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from signalpost.carriers.base import Carrier
from signalpost.carriers.smpp.carrier import SmppCarrier
from signalpost.observability import repository as repo
from signalpost.storage import Database

__all__ = ["Readiness", "migration_head"]


@cache
def migration_head() -> str | None:
    """The newest migration this code ships (read once from the migration scripts).

    Alembic is imported here, on the first readiness check, not when the process starts:
    a server or worker started without migrating needs none of it until then."""
    from alembic.script import ScriptDirectory

    from signalpost.storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


@dataclass
class Readiness:
    db: Database
    carriers: Iterable[Carrier] = ()
    workers: Callable[[], bool] | None = None
    """Whether this process's worker loops run (None: this process runs none)."""
    timeout: float = 2.0

    async def check(self) -> tuple[bool, dict[str, str]]:
        """``(ready, {check: "ok" or why not})``."""
        checks = {"database": "ok"}
        try:
            revision = await asyncio.wait_for(self._revision(), self.timeout)
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        else:
            head = migration_head()
            checks["migrations"] = "ok" if revision == head else f"at {revision}, code at {head}"
        if self.workers is not None:
            checks["workers"] = "ok" if self.workers() else "not running"
        for carrier in self.carriers:
            if isinstance(carrier, SmppCarrier):
                # binds held by other worker processes: they send this process's messages
                checks[f"smpp:{carrier.name}"] = "ok" if carrier.routable else "not bound"
        return all(v == "ok" for v in checks.values()), checks

    async def _revision(self) -> str | None:
        async with self.db.reader() as conn:
            return await repo.schema_revision(conn)
