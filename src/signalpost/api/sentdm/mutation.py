"""How every v3 mutation runs: once per ``Idempotency-Key``, or simulated with ``sandbox``.

The response body, envelope included, is built inside the transaction that makes the
change, so nothing can fail between the commit and the answer: a 5xx always means nothing
was stored, and the SDK's automatic retries of 5xx (POST included) cannot duplicate a
send.  A replay answers with the first response's stored bytes plus
``Idempotent-Replayed: true`` and ``X-Original-Request-Id``; a different payload under a
used key gets the first payload's response, as sent.dm documents.

``sandbox: true`` runs the same operation, validations and all, in a transaction that is
always rolled back, and marks the answer ``X-Sandbox: true``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.api.sentdm.envelope import Call, envelope, respond_raw
from signalpost.api.sentdm.errors import BadIdempotencyKey
from signalpost.http import Request, Response
from signalpost.idempotency import service as idempotency
from signalpost.storage import Connection, Database

__all__ = ["Operation", "idempotency_key", "run_mutation"]

Operation = Callable[[Connection], Awaitable[tuple[int, Any]]]
"""Does the change; returns the HTTP status and the envelope's ``data`` (None for 204)."""

_KEY = re.compile(r"[A-Za-z0-9_-]{1,255}")
_PREFIX = "v3:"


class _Rollback(Exception):
    def __init__(self, result: tuple[int, Any]) -> None:
        super().__init__("sandbox")
        self.result = result


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header, checked against sent.dm's pattern."""
    raw = request.header("idempotency-key")
    if raw is None:
        return None
    if not _KEY.fullmatch(raw):
        raise BadIdempotencyKey(details={"Idempotency-Key": ["must match ^[a-zA-Z0-9_-]{1,255}$"]})
    return raw


def _stored_key(key: str) -> str:
    # v3 keys live beside native ones: a prefix keeps the two apart within 255 characters.
    if len(_PREFIX) + len(key) <= idempotency.MAX_KEY_LENGTH:
        return _PREFIX + key
    return _PREFIX + hashlib.sha256(key.encode()).hexdigest()


def _body(call: Call, status: int, data: Any) -> bytes:
    return b"" if status == 204 else envelope(call, data)


async def run_mutation(
    db: Database,
    request: Request,
    call: Call,
    scope: Scope,
    operation: Operation,
    *,
    sandbox: bool,
    ttl_seconds: int,
) -> Response:
    """Run ``operation`` once per key (or as a sandbox) and answer in the v3 envelope."""
    key = idempotency_key(request)
    if sandbox:
        status, data = await _simulate(db, operation)
        response = respond_raw(call, _body(call, status, data), status)
        response.set_header("x-sandbox", "true")
        return response

    async def stored(conn: Connection) -> tuple[int, str]:
        status, data = await operation(conn)
        return status, _body(call, status, data).decode()

    raw = await request.body()
    outcome = await idempotency.run_once(
        db,
        tenant_id=scope.tenant_id,
        key=_stored_key(key) if key else None,
        request_fingerprint=idempotency.fingerprint(request.method, request.path, raw),
        ttl_seconds=ttl_seconds,
        operation=stored,
        replay_on_mismatch=True,
    )
    response = respond_raw(call, outcome.body.encode(), outcome.status)
    if outcome.replayed:
        response.set_header("idempotent-replayed", "true")
        response.set_header("x-original-request-id", _original_id(outcome.body))
    return response


async def _simulate(db: Database, operation: Operation) -> tuple[int, Any]:
    try:
        async with db.transaction() as conn:
            raise _Rollback(await operation(conn))
    except _Rollback as done:
        return done.result


def _original_id(body: str) -> str:
    if not body:
        return ""
    try:
        meta = orjson.loads(body).get("meta") or {}
    except orjson.JSONDecodeError:
        return ""
    return str(meta.get("request_id") or "")
