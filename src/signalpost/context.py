"""The composition root: builds every long-lived object of a process from :class:`Settings`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from signalpost.accounts.service import Authenticator
from signalpost.background import BackgroundWork
from signalpost.carriers.registry import CarrierRegistry
from signalpost.carriers.smpp.wiring import build_registry
from signalpost.config import Settings
from signalpost.consent.service import ConsentRecorder
from signalpost.dispatch.service import Dispatcher, DispatchPolicy
from signalpost.domain.pricing import RateCard
from signalpost.domain.senders import SenderRules
from signalpost.idempotency.service import purge_expired
from signalpost.messages.keywords import KeywordResponder
from signalpost.messages.policy import SendPolicy
from signalpost.messages.suppression import CarrierSuppressor
from signalpost.messages.transitions import Applied, Recorder
from signalpost.observability.metrics import count_status_changes
from signalpost.ratelimits import Counter, open_counter
from signalpost.retention.schemas import RetentionPolicy
from signalpost.retention.service import Purger
from signalpost.stats import service as stats
from signalpost.storage import Database, open_database
from signalpost.webhooks import WebhookEngine

__all__ = ["Context"]


async def count_messages(conn: object, applied: Sequence[Applied]) -> None:
    """Count each recorded step in ``signalpost_messages_total``."""
    del conn
    messages = list(map(_MESSAGE, applied))  # (C loops: every step of a send passes here)
    statuses = map(_STATUS, map(_ACTIVITY, applied))
    changes = zip(statuses, map(_CHANNEL, messages), map(_CARRIER, messages), strict=True)
    count_status_changes(changes)


_ACTIVITY, _MESSAGE = attrgetter("activity"), attrgetter("message")
_STATUS, _CHANNEL, _CARRIER = attrgetter("status"), attrgetter("channel"), attrgetter("carrier")


@dataclass
class Context:
    settings: Settings
    db: Database
    auth: Authenticator
    recorder: Recorder
    rates: RateCard
    send_policy: SendPolicy
    carriers: CarrierRegistry
    dispatcher: Dispatcher
    webhooks: WebhookEngine
    consent: ConsentRecorder
    rate_counter: Counter  # the dialects' rate limits, shared by them all
    _next_retention: float = 0.0

    @classmethod
    async def open(cls, settings: Settings) -> Context:
        db = open_database(
            settings.database_url,
            schema=settings.database_schema,
            pool_size=settings.database_pool_size,
        )
        await db.connect()
        rates = RateCard.default()
        if settings.rate_card_path is not None:
            rates = rates.with_overrides(json.loads(settings.rate_card_path.read_text()))
        recorder = Recorder()
        webhooks = WebhookEngine.from_settings(db, settings)
        recorder.observers.append(webhooks.outbox)  # events in the state change's transaction
        recorder.observers.append(stats.record)  # rollups too
        recorder.observers.append(count_messages)
        consent = ConsentRecorder([webhooks.outbox.consent_changed])  # opt-outs and opt-ins
        carriers = build_registry(settings, db)
        policy = DispatchPolicy(
            batch_size=settings.dispatch_batch_size,
            lease_seconds=settings.dispatch_lease_seconds,
            max_attempts=settings.max_submit_attempts,
            retry_base_seconds=settings.retry_base_seconds,
            retry_max_seconds=settings.retry_max_seconds,
        )
        sender_rules = SenderRules.shipped()
        if settings.sender_rules_path is not None:
            overrides = json.loads(settings.sender_rules_path.read_text())
            sender_rules = sender_rules.with_overrides(overrides)
        send_policy = SendPolicy(
            sender_rules=sender_rules if settings.check_senders else None,
            channels=carriers.channels,
            rates=rates,
            default_validity_seconds=settings.default_validity_seconds,
            max_recipients=settings.max_recipients_per_request,
            recorder=recorder,
        )
        recorder.observers.append(KeywordResponder(send_policy, consent))  # STOP/START/HELP
        recorder.observers.append(CarrierSuppressor(consent))  # numbers not in service
        return cls(
            settings=settings,
            db=db,
            auth=Authenticator(db, ttl=settings.api_key_cache_seconds),
            recorder=recorder,
            rates=rates,
            send_policy=send_policy,
            carriers=carriers,
            dispatcher=Dispatcher(db, recorder, carriers, policy, currency=rates.currency),
            webhooks=webhooks,
            consent=consent,
            rate_counter=open_counter(settings, db),
        )

    def worker_pool(self) -> BackgroundWork:
        """The background work of this process: dispatch loops, receipts, housekeeping
        and, when enabled, webhook delivery."""
        return BackgroundWork(
            self.dispatcher,
            self.carriers,
            concurrency=self.settings.workers,
            poll_interval=self.settings.dispatch_poll_interval,
            housekeeping=[self._purge_idempotency, self._purge_retention],
            background=[self.webhooks.worker()] if self.settings.webhook_delivery else [],
        )

    async def _purge_idempotency(self) -> None:
        await purge_expired(self.db)

    async def _purge_retention(self) -> None:
        """Every ``retention_interval_seconds``, delete and redact what is past retention."""
        now = time.monotonic()
        if now < self._next_retention:
            return
        self._next_retention = now + self.settings.retention_interval_seconds
        await self.purger().run()

    def purger(self) -> Purger:
        s = self.settings
        defaults = RetentionPolicy(
            s.retention_messages_days,
            s.retention_activities_days,
            s.retention_idempotency_days,
            s.retention_redact_days,
        )
        return Purger(self.db, defaults, batch_size=s.retention_batch_size)

    async def close(self) -> None:
        await self.auth.close()
        await self.webhooks.close()
        await self.rate_counter.close()
        await self.db.close()
