"""Run an operation at most once per (tenant, Idempotency-Key) within the key's lifetime.

The stored response is written in the same transaction as the operation's effects.  Two
concurrent requests with one key race on the key's primary key: the loser's transaction
rolls back (nothing it did remains) and it answers with the winner's stored response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from signalpost.idempotency import repository as repo
from signalpost.idempotency.exceptions import IdempotencyKeyReused
from signalpost.storage import Connection, Database, Row, UniqueViolation
from signalpost.timeutil import now_us

__all__ = ["MAX_KEY_LENGTH", "Outcome", "fingerprint", "purge_expired", "run_once"]

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: str
    replayed: bool


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


Operation = Callable[[Connection], Awaitable[tuple[int, str]]]


async def run_once(
    db: Database,
    *,
    tenant_id: str,
    key: str | None,
    request_fingerprint: str,
    ttl_seconds: int,
    operation: Operation,
    replay_on_mismatch: bool = False,
) -> Outcome:
    """Run ``operation`` (returning status and body) in a transaction, once per key.

    A key reused with a different request is refused (:class:`IdempotencyKeyReused`), or,
    with ``replay_on_mismatch``, answered with the first request's stored response.
    """
    if not key:
        async with db.transaction() as conn:
            status, body = await operation(conn)
        return Outcome(status, body, False)
    now = now_us()
    try:
        async with db.transaction() as conn:
            stored = await repo.get(conn, tenant_id, key, now)
            if stored is not None:
                return _replay(stored, request_fingerprint, replay_on_mismatch)
            status, body = await operation(conn)
            if status < 500:
                await repo.insert_one(
                    conn,
                    tenant_id=tenant_id,
                    key=key,
                    fingerprint=request_fingerprint,
                    status_code=status,
                    body=body,
                    created_at=now,
                    expires_at=now + ttl_seconds * 1_000_000,
                )
    except UniqueViolation:
        async with db.reader() as conn:
            stored = await repo.get(conn, tenant_id, key, now_us())
        if stored is None:
            raise
        return _replay(stored, request_fingerprint, replay_on_mismatch)
    return Outcome(status, body, False)


def _replay(stored: Row, request_fp: str, any_request: bool) -> Outcome:
    if stored["fingerprint"] != request_fp and not any_request:
        raise IdempotencyKeyReused()
    return Outcome(stored["status_code"], stored["body"], True)


async def purge_expired(db: Database) -> int:
    async with db.transaction() as conn:
        return await repo.purge(conn, now_us())
