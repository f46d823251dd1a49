"""Errors of the webhooks domain.

Application errors (rendered by each dialect in its own envelope) derive from
:class:`signalpost.errors.AppError`.  Why one delivery attempt failed is an
:class:`signalpost.egress.EgressError`, recorded on the attempt row and never shown to an
API client as an HTTP error.
"""

from __future__ import annotations

from signalpost.errors import Conflict, NotFound, ValidationFailed

__all__ = [
    "DeliveryAlreadyDelivered",
    "DeliveryInFlight",
    "DeliveryNotFound",
    "DeliveryNotRetryable",
    "EndpointDisabled",
    "EndpointNotFound",
    "InvalidWebhookUrl",
    "UnknownEventType",
    "WebhookUrlNotAllowed",
]


class EndpointNotFound(NotFound):
    """Webhook not found."""

    code = "webhook_not_found"


class DeliveryNotFound(NotFound):
    """Webhook delivery not found."""

    code = "webhook_delivery_not_found"


class InvalidWebhookUrl(ValidationFailed):
    """The webhook URL is not valid."""

    code = "invalid_webhook_url"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The webhook URL is not valid: {reason}", details={"url": [reason]})
        self.reason = reason


class WebhookUrlNotAllowed(ValidationFailed):
    """Webhook URLs on loopback, link-local and private networks are not allowed."""

    code = "webhook_url_not_allowed"

    def __init__(self, reason: str) -> None:
        message = f"Webhook URL refused: {reason}; webhooks must reach a public address"
        super().__init__(message, details={"url": [reason]})
        self.reason = reason


class UnknownEventType(ValidationFailed):
    """Unknown webhook event type."""

    code = "unknown_event_type"

    def __init__(self, names: list[str], known: tuple[str, ...]) -> None:
        super().__init__(
            f"Unknown event type: {', '.join(names)}",
            details={
                "event_types": [f"unknown: {n}; use one of {', '.join(known)}" for n in names]
            },
        )


class EndpointDisabled(Conflict):
    """The webhook is disabled; enable it first."""

    code = "webhook_disabled"


class DeliveryNotRetryable(Conflict):
    """This delivery cannot be retried."""

    code = "webhook_delivery_not_retryable"


class DeliveryAlreadyDelivered(DeliveryNotRetryable):
    """The event was already delivered; its receiver acknowledged it."""

    code = "webhook_delivery_delivered"


class DeliveryInFlight(DeliveryNotRetryable):
    """The event is being delivered right now; retry once this attempt has finished."""

    code = "webhook_delivery_in_flight"
