"""The webhook engine of one process: outbox observer, endpoint cache, URL guard, delivery.

The composition root builds one :class:`WebhookEngine` per process, registers
:attr:`WebhookEngine.outbox` on the lifecycle recorder and runs the worker from
:meth:`WebhookEngine.worker` next to the dispatch loops.  Routes of every dialect use it
through the service functions (``signalpost.webhooks.service``).
"""

from __future__ import annotations

import secrets

from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.egress import EgressClient, Resolver, system_resolver
from signalpost.request_ids import current_request_id
from signalpost.storage import Database
from signalpost.timeutil import new_id, now_us
from signalpost.webhooks import formats, service
from signalpost.webhooks import repository as repo
from signalpost.webhooks.delivery import USER_AGENT, Deliverer
from signalpost.webhooks.outbox import EndpointCache, Outbox
from signalpost.webhooks.recording import Claimed, Outcome, record_outcomes
from signalpost.webhooks.safety import UrlGuard
from signalpost.webhooks.schemas import Attempt, Delivery, DeliveryPolicy, DeliveryStatus
from signalpost.webhooks.worker import DeliveryWorker, attempt

__all__ = ["WebhookEngine", "policy_from_settings"]


def policy_from_settings(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        timeout_seconds=settings.webhook_timeout_seconds,
        concurrency=settings.webhook_concurrency,
        endpoint_concurrency=settings.webhook_endpoint_concurrency,
        retry_base_seconds=settings.webhook_retry_base_seconds,
        retry_max_seconds=settings.webhook_retry_max_seconds,
        retry_window_seconds=settings.webhook_retry_window_seconds,
        disable_after_seconds=settings.webhook_disable_after_seconds,
        disable_min_failures=settings.webhook_disable_min_failures,
        lease_seconds=settings.webhook_lease_seconds,
        poll_interval=settings.webhook_poll_interval,
        allow_private=settings.allow_private_webhooks,
        retention_seconds=settings.webhook_retention_days * 86400,
    )


class WebhookEngine:
    """Everything webhook-related a process holds; ``resolver`` is a seam for tests.

    :attr:`egress` is the process's guarded HTTP client: deliveries, test sends and the
    dialects' callback checks all go through it.
    """

    def __init__(
        self,
        db: Database,
        policy: DeliveryPolicy,
        *,
        cache_seconds: float = 2.0,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.db = db
        self.policy = policy
        self.guard = UrlGuard(allow_private=policy.allow_private, resolver=resolver)
        # Deliveries never exceed ``concurrency``; the rest is for test sends and checks.
        self.egress = EgressClient(
            self.guard.addresses, user_agent=USER_AGENT, connections=2 * policy.concurrency
        )
        self.cache = EndpointCache(cache_seconds)
        self.deliverer = Deliverer(policy, self.egress)
        self.outbox = Outbox(self.cache, wake=self.wake)
        self._workers: list[DeliveryWorker] = []

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> WebhookEngine:
        """The engine for a process (the dialects' formats are registered by then)."""
        return cls(
            db,
            policy_from_settings(settings),
            cache_seconds=settings.webhook_endpoint_cache_seconds,
        )

    def worker(self, name: str | None = None) -> DeliveryWorker:
        """A delivery worker of this process (start and stop it with the background work)."""
        worker = DeliveryWorker(self.db, self.deliverer, self.policy, self.cache, name=name)
        self._workers.append(worker)
        return worker

    def changed(self, tenant_id: str) -> None:
        """A tenant's endpoints changed: the outbox of this process reloads them."""
        self.cache.invalidate(tenant_id)

    def wake(self) -> None:
        """Events were written or made due: workers of this process claim without delay."""
        for worker in self._workers:
            worker.wake()

    async def check_url(self, url: str) -> None:
        """Refuse a URL that is malformed or resolves to a local address (422)."""
        await self.guard.check(url)

    async def send_test(self, scope: Scope, endpoint_id: str) -> tuple[Delivery, list[Attempt]]:
        """Write a test event for an endpoint and deliver it now; failures retry as usual."""
        now = now_us()
        token = f"test/{secrets.token_hex(8)}"
        async with self.db.transaction() as conn:
            endpoint = await service.get_endpoint(conn, scope, endpoint_id)
            event_id = new_id()
            event_type, body = formats.get(endpoint.dialect).test_event(event_id, now)
            event = Claimed(
                event_id, endpoint.id, scope.tenant_id, event_type, body.decode(), 0, now, token
            )
            lease = now + int(self.policy.lease_seconds * 1_000_000)
            await repo.insert_events(conn, [_test_row(event, lease)])
        result = await attempt(self.deliverer, event, endpoint)
        async with self.db.transaction() as conn:
            outcome = Outcome(event, result, endpoint.max_attempts, dialect=endpoint.dialect)
            for row in await record_outcomes(conn, self.policy, [outcome], now_us()):
                self.cache.invalidate(row["tenant_id"])
            return await service.get_delivery(conn, scope, event_id)

    async def close(self) -> None:
        await self.deliverer.aclose()


def _test_row(event: Claimed, lease_until: int) -> dict[str, object]:
    """A test event, inserted already leased by the request that delivers it."""
    return {
        "id": event.id,
        "endpoint_id": event.endpoint_id,
        "tenant_id": event.tenant_id,
        "event_type": event.event_type,
        "message_id": None,
        "payload": event.payload,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "due_at": lease_until,
        "leased_by": event.token,
        "created_at": event.created_at,
        "finished_at": None,
        "last_status_code": None,
        "last_error": None,
        "request_id": current_request_id(),
    }
