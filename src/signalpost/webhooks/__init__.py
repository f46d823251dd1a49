"""Webhooks: durable, signed, retried status notifications for every dialect.

Endpoints belong to a tenant and speak one dialect; each dialect registers a
:class:`~signalpost.webhooks.formats.WebhookFormat` (event names, payload, signature).
Events are written by the outbox observer in the transaction of the state change and
delivered by :class:`~signalpost.webhooks.worker.DeliveryWorker` with a row per attempt.
"""

from signalpost.webhooks.engine import WebhookEngine
from signalpost.webhooks.formats import WebhookFormat, register

__all__ = ["WebhookEngine", "WebhookFormat", "register"]
