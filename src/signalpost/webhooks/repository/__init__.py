"""SQL of webhook endpoints, events (the outbox, one row per endpoint and event) and attempts.

* :mod:`~signalpost.webhooks.repository.endpoints` — endpoints and what readers need of them;
* :mod:`~signalpost.webhooks.repository.events` — events written, read, retried and pruned;
* :mod:`~signalpost.webhooks.repository.claims` — due events leased to a worker, fairly;
* :mod:`~signalpost.webhooks.repository.paused` — events held while an endpoint is disabled;
* :mod:`~signalpost.webhooks.repository.attempts` — one row per delivery attempt;
* :mod:`~signalpost.webhooks.repository.health` — an endpoint's failures, and disabling it.
"""

from signalpost.webhooks.repository.attempts import (
    attempts_for_event,
    insert_attempts,
    list_attempts,
)
from signalpost.webhooks.repository.claims import any_due, claim, fair_cap, finish_events
from signalpost.webhooks.repository.endpoints import (
    delete_endpoint,
    endpoints_by_ids,
    for_tenants,
    get_endpoint,
    insert_endpoint,
    list_endpoints,
    rotate_secret,
    update_endpoint,
)
from signalpost.webhooks.repository.events import (
    delete_events,
    get_event,
    insert_events,
    list_events,
    prune,
    retry_event,
)
from signalpost.webhooks.repository.health import disable_failing, note_failures, note_successes
from signalpost.webhooks.repository.paused import (
    expire_paused,
    fail_waiting_events,
    pause_events,
    resume_enabled,
    resume_events,
)

__all__ = [
    "any_due",
    "attempts_for_event",
    "claim",
    "delete_endpoint",
    "delete_events",
    "disable_failing",
    "endpoints_by_ids",
    "expire_paused",
    "fail_waiting_events",
    "fair_cap",
    "finish_events",
    "for_tenants",
    "get_endpoint",
    "get_event",
    "insert_attempts",
    "insert_endpoint",
    "insert_events",
    "list_attempts",
    "list_endpoints",
    "list_events",
    "note_failures",
    "note_successes",
    "pause_events",
    "prune",
    "resume_enabled",
    "resume_events",
    "retry_event",
    "rotate_secret",
    "update_endpoint",
]
