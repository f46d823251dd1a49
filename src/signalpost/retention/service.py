"""Retention policies and the purge that applies them.

A tenant's effective policy is its own row, then (for a profile) its organization's row,
then the deployment's defaults, field by field.  The purge walks every tenant and works
in small batches, each its own short transaction, so sends and dispatch are never held
up behind it: messages (with their activities and submit attempts) past their retention,
activities past theirs, idempotency records past theirs, and message bodies past the
redaction period.  Messages still waiting in the dispatch queue are never touched.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field

from signalpost.accounts import service as accounts
from signalpost.errors import ValidationFailed
from signalpost.messages import repository as messages_repo
from signalpost.retention import repository as repo
from signalpost.retention.schemas import FIELDS, RetentionPolicy
from signalpost.storage import Connection, Database, Row
from signalpost.timeutil import now_us

__all__ = ["PurgeReport", "Purger", "effective_policy", "get_policy", "set_policy"]

log = logging.getLogger("signalpost.retention")

DAY_US = 86_400 * 1_000_000
MAX_DAYS = 36_500


def _policy(row: Row | None) -> RetentionPolicy:
    if row is None:
        return RetentionPolicy()
    return RetentionPolicy(*(row[name] for name in FIELDS))


async def get_policy(conn: Connection, tenant_id: str) -> RetentionPolicy:
    """A tenant's own policy (fields it does not set are ``None``)."""
    return _policy(await repo.get_policy(conn, tenant_id))


async def effective_policy(
    conn: Connection, organization_id: str, profile_id: str | None, defaults: RetentionPolicy
) -> RetentionPolicy:
    """What applies to a tenant: its own values, its organization's, then the defaults."""
    policy = (await get_policy(conn, organization_id)).over(defaults)
    if profile_id is not None:
        policy = (await get_policy(conn, profile_id)).over(policy)
    return policy


async def set_policy(
    conn: Connection, organization_id: str, profile_id: str | None, changes: dict[str, int | None]
) -> RetentionPolicy:
    """Set some fields of a tenant's own policy (``None`` inherits again)."""
    bad = {
        name: [f"must be between 0 and {MAX_DAYS} days"]
        for name, days in changes.items()
        if days is not None and not 0 <= days <= MAX_DAYS
    }
    unknown = {name: ["unknown field"] for name in changes if name not in FIELDS}
    if bad or unknown:
        raise ValidationFailed(details={**bad, **unknown})
    if profile_id is None:
        await accounts.get_organization(conn, organization_id)
    else:
        await accounts.get_profile(conn, organization_id, profile_id)
    tenant_id = profile_id or organization_id
    current = asdict(await get_policy(conn, tenant_id))
    current.update(changes)
    await repo.set_policy(conn, tenant_id, organization_id, current, now_us())
    return RetentionPolicy(**current)


@dataclass
class PurgeReport:
    messages: int = 0
    activities: int = 0
    idempotency_keys: int = 0
    redacted: int = 0
    tenants: int = 0
    errors: list[str] = field(default_factory=list)


class Purger:
    """Deletes and redacts what is past retention, ``batch_size`` rows per transaction."""

    def __init__(self, db: Database, defaults: RetentionPolicy, *, batch_size: int = 500) -> None:
        self.db = db
        self.defaults = defaults
        self.batch_size = batch_size

    async def run(self, now: int | None = None) -> PurgeReport:
        now = now or now_us()
        report = PurgeReport()
        async with self.db.reader() as conn:
            tenants = await repo.tenants(conn)
        for tenant_id, organization_id in tenants:
            try:
                await self._tenant(tenant_id, organization_id, now, report)
            except Exception as exc:  # one tenant's trouble must not stop the others
                log.exception("retention purge failed for tenant %s", tenant_id)
                report.errors.append(f"{tenant_id}: {type(exc).__name__}")
            report.tenants += 1
        if report.messages or report.activities or report.idempotency_keys or report.redacted:
            log.info(
                "retention: deleted %d messages, %d activities, %d idempotency records; "
                "redacted %d messages",
                report.messages,
                report.activities,
                report.idempotency_keys,
                report.redacted,
            )
        return report

    async def _tenant(
        self, tenant_id: str, organization_id: str, now: int, report: PurgeReport
    ) -> None:
        profile_id = None if tenant_id == organization_id else tenant_id
        async with self.db.reader() as conn:
            policy = await effective_policy(conn, organization_id, profile_id, self.defaults)
            own = await repo.get_policy(conn, tenant_id)
        if policy.messages_days:
            report.messages += await self._messages(tenant_id, now - policy.messages_days * DAY_US)
        if policy.activities_days:
            cutoff = now - policy.activities_days * DAY_US
            report.activities += await self._activities(tenant_id, cutoff)
        if policy.idempotency_days:
            cutoff = now - policy.idempotency_days * DAY_US
            report.idempotency_keys += await self._idempotency(tenant_id, cutoff)
        if policy.redact_days:
            since = (own["redacted_through"] if own is not None else None) or 0
            cutoff = now - policy.redact_days * DAY_US
            report.redacted += await self._redact(tenant_id, organization_id, since, cutoff, now)

    async def _messages(self, tenant_id: str, cutoff: int) -> int:
        done = 0
        while True:
            async with self.db.transaction() as conn:
                ids = await repo.old_message_ids(conn, tenant_id, cutoff, self.batch_size)
                if ids:
                    await repo.delete_messages(conn, ids)
            done += len(ids)
            if len(ids) < self.batch_size:
                return done
            await asyncio.sleep(0)  # let sends and dispatch in between

    async def _activities(self, tenant_id: str, cutoff: int) -> int:
        done = 0
        while True:
            async with self.db.transaction() as conn:
                rows = await repo.oldest_activities(conn, tenant_id, self.batch_size)
                ids = []
                for row in rows:
                    if row[1] >= cutoff:
                        break
                    ids.append(row[0])
                if ids:
                    await repo.delete_activities(conn, ids)
            done += len(ids)
            if len(ids) < self.batch_size:
                return done
            await asyncio.sleep(0)

    async def _idempotency(self, tenant_id: str, cutoff: int) -> int:
        done = 0
        while True:
            async with self.db.transaction() as conn:
                keys = await repo.old_idempotency_keys(conn, tenant_id, cutoff, self.batch_size)
                if keys:
                    await repo.delete_idempotency_keys(conn, tenant_id, keys)
            done += len(keys)
            if len(keys) < self.batch_size:
                return done
            await asyncio.sleep(0)

    async def _redact(
        self, tenant_id: str, organization_id: str, since: int, cutoff: int, now: int
    ) -> int:
        """Redact bodies created in ``[since, cutoff)``; remember how far it got, so the
        next run starts there instead of reading every redacted message again."""
        done = 0
        after = (since, "")
        while True:
            async with self.db.transaction() as conn:
                rows = await repo.to_redact(conn, tenant_id, after, cutoff, self.batch_size)
                done += await messages_repo.redact_bodies(conn, [r[0] for r in rows])
                if len(rows) < self.batch_size:
                    await repo.set_redacted_through(conn, tenant_id, organization_id, cutoff, now)
                    return done
                after = (rows[-1][1], rows[-1][0])
                await repo.set_redacted_through(conn, tenant_id, organization_id, after[0], now)
            await asyncio.sleep(0)
