"""Value types of the webhooks domain: endpoints, deliveries (events), attempts, policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

__all__ = [
    "UNSET",
    "Attempt",
    "AttemptResult",
    "Delivery",
    "DeliveryPolicy",
    "DeliveryStatus",
    "DisableRule",
    "Endpoint",
    "EndpointPatch",
    "EndpointRef",
    "EndpointSpec",
    "Unset",
]


class Unset(Enum):
    """Marks a patch field the caller did not give (``None`` may be a value)."""

    UNSET = 0


UNSET = Unset.UNSET


class DeliveryStatus(StrEnum):
    """Where one event stands with its endpoint. One comment per state."""

    PENDING = "pending"  # waiting for its first attempt or for a retry (due_at is set)
    PAUSED = "paused"  # its endpoint is disabled: due again when it is enabled (due_at unset)
    DELIVERED = "delivered"  # a receiver acknowledged it
    FAILED = "failed"  # retries ran out, or its endpoint stayed disabled past the window


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How deliveries are made, retried and given up; built from the settings.

    Retry backoff after failed attempt ``n``:
    ``delay = min(retry_max_seconds, retry_base_seconds * 2^(n-1)) * U(0.5, 1.0)``.
    An event is retried until it is acknowledged or, after a failed attempt, at least
    ``retry_window_seconds`` have passed since it was written (or the endpoint's own
    ``max_attempts`` is reached), so retries cover at least the whole window.
    An endpoint is disabled by its format's rule (``WebhookFormat.disable_rule``); the
    native one: it has failed without a single success for ``disable_after_seconds`` and
    at least ``disable_min_failures`` attempts.  Delivered and given-up events are deleted
    with their attempts ``retention_seconds`` after they finished, ``prune_batch`` at a
    time, every ``prune_interval`` seconds.
    """

    timeout_seconds: float = 10.0
    max_timeout_seconds: float = 30.0
    concurrency: int = 64
    endpoint_concurrency: int = 8
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    retry_window_seconds: float = 24 * 3600.0
    disable_after_seconds: float = 5 * 24 * 3600.0
    disable_min_failures: int = 10
    lease_seconds: float = 60.0
    poll_interval: float = 0.05
    batch_size: int = 200
    response_body_limit: int = 1024
    allow_private: bool = False
    secret_grace_seconds: float = 24 * 3600.0
    retention_seconds: float = 30 * 86400.0
    prune_batch: int = 500
    prune_interval: float = 600.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A tenant's subscription: where its events go and how they are signed."""

    id: str
    organization_id: str
    tenant_id: str
    dialect: str
    url: str
    secret: str
    event_types: tuple[str, ...]
    description: str | None
    attributes: Mapping[str, Any]
    enabled: bool
    disabled_reason: str | None
    disabled_at: int | None
    consecutive_failures: int
    failing_since: int | None
    max_attempts: int | None
    timeout_seconds: int | None
    last_attempt_at: int | None
    last_success_at: int | None
    created_at: int
    updated_at: int
    previous_secret: str | None = None
    previous_secret_expires_at: int | None = None
    failed_events: int = 0  # events given up in a row since the last delivered one


@dataclass(frozen=True, slots=True)
class EndpointRef:
    """The little the outbox needs about an endpoint (cached per tenant)."""

    id: str
    tenant_id: str
    organization_id: str
    dialect: str
    url: str
    event_types: tuple[str, ...]
    attributes: Mapping[str, Any]
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """A new endpoint.  ``secret`` defaults to one from the dialect's format."""

    url: str
    dialect: str = "native"
    event_types: tuple[str, ...] = ()
    description: str | None = None
    enabled: bool = True
    attributes: Mapping[str, Any] = field(default_factory=dict)
    max_attempts: int | None = None
    timeout_seconds: int | None = None
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class EndpointPatch:
    """Changes to an endpoint; :data:`UNSET` fields stay as they are."""

    url: str | Unset = UNSET
    event_types: tuple[str, ...] | Unset = UNSET
    description: str | Unset | None = UNSET
    enabled: bool | Unset = UNSET
    attributes: Mapping[str, Any] | Unset = UNSET
    max_attempts: int | Unset | None = UNSET
    timeout_seconds: int | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint, with where its delivery stands."""

    id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    message_id: str | None
    status: str
    attempts: int
    next_attempt_at: int | None
    created_at: int
    finished_at: int | None
    last_status_code: int | None
    last_error: str | None
    payload: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at delivering an event: the receiver's answer or why there was none."""

    id: int
    event_id: str
    endpoint_id: str
    attempt_no: int
    ok: bool
    status_code: int | None
    latency_ms: int
    response_body: str | None
    error: str | None
    created_at: int
    event_type: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one HTTP attempt produced."""

    ok: bool
    status_code: int | None
    latency_ms: int
    response_body: str | None
    error: str | None
    at: int  # microseconds when the attempt started


@dataclass(frozen=True, slots=True)
class DisableRule:
    """When an endpoint that keeps failing is disabled automatically: after
    ``failed_events`` events in a row were given up, or else once every attempt failed for
    ``failing_for_seconds`` with at least ``min_failed_attempts`` attempts in a row."""

    failing_for_seconds: float | None = None
    min_failed_attempts: int = 1
    failed_events: int | None = None

    def reason(self, last_error: str) -> str:
        """The endpoint's ``disabled_reason`` when this rule disables it."""
        if self.failed_events is not None:
            why = f"{self.failed_events} events in a row could not be delivered"
        else:
            why = f"every delivery failed for over {_duration(self.failing_for_seconds or 0)}"
        return f"Disabled automatically: {why} (last error: {last_error})"[:1000]


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size * 2:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} seconds"
