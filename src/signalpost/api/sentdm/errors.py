"""The sent.dm error catalogue and envelope.

Services raise :class:`~signalpost.errors.AppError` subclasses with Signalpost's own codes;
:func:`classify` maps each to the HTTP status, sent.dm code and message of the v3
catalogue.  Errors only this dialect knows are :class:`SentDmError` subclasses that carry
their sent.dm code directly.  An unknown route answers 404 ``RESOURCE_000``, a Signalpost
addition: the catalogue has no code for it.
"""

from __future__ import annotations

from signalpost.errors import AppError, ValidationFailed
from signalpost.http import Request, Response
from signalpost.http.params import InvalidParam, Problem

__all__ = [
    "BadEnumValue",
    "BadIdempotencyKey",
    "BadPhoneNumber",
    "BadUuid",
    "ChannelUnavailable",
    "CustomerNotFound",
    "InvalidPathId",
    "MissingField",
    "NotModifiable",
    "OutOfRange",
    "SentDmError",
    "classify",
    "render_error",
]

DOC_URL = "https://docs.sent.dm/errors/"


class SentDmError(AppError):
    """The request failed validation."""

    status = 400
    code = "VALIDATION_001"


class InvalidPathId(SentDmError):
    """Invalid ID format."""


class BadPhoneNumber(SentDmError):
    """Phone number must be in E.164 format."""

    code = "VALIDATION_002"


class BadUuid(SentDmError):
    """Invalid UUID format."""

    code = "VALIDATION_003"


class MissingField(SentDmError):
    """A required field is missing."""

    code = "VALIDATION_004"


class OutOfRange(SentDmError):
    """A value is out of range."""

    code = "VALIDATION_005"


class BadEnumValue(SentDmError):
    """Invalid value."""

    code = "VALIDATION_006"


class BadIdempotencyKey(SentDmError):
    """Idempotency-Key must be 1 to 255 letters, digits, '_' or '-'."""

    code = "VALIDATION_007"


class NotModifiable(SentDmError):
    """Message can only be modified in QUEUED or ACCEPTED state."""

    status = 422
    code = "BUSINESS_006"


class ChannelUnavailable(SentDmError):
    """Channel not available for this contact."""

    status = 422
    code = "BUSINESS_007"


# Signalpost code -> (HTTP status, sent.dm code, message or None to keep the error's own).
_CATALOGUE: dict[str, tuple[int, str, str | None]] = {
    "missing_api_key": (401, "AUTH_001", "API key is required"),
    "invalid_api_key": (401, "AUTH_002", "Invalid API key"),
    "unauthorized": (401, "AUTH_002", "Invalid API key"),
    "forbidden": (403, "AUTH_004", None),
    "profile_not_allowed": (403, "AUTH_004", None),
    "invalid_message_id": (400, "VALIDATION_001", "Invalid message ID format."),
    "message_not_found": (404, "RESOURCE_003", "Message not found"),
    "template_not_found": (404, "RESOURCE_002", "Template not found"),
    "contact_not_found": (404, "RESOURCE_001", "Contact not found"),
    "profile_not_found": (404, "RESOURCE_004", "Customer not found"),
    "organization_not_found": (404, "RESOURCE_005", "Organization not found"),
    "webhook_not_found": (404, "RESOURCE_008", "Webhook not found"),
    "endpoint_not_found": (404, "RESOURCE_008", "Webhook not found"),
    "template_name_taken": (409, "RESOURCE_007", "A template with this name already exists"),
    "contact_exists": (409, "RESOURCE_007", "A contact with this phone number already exists"),
    "not_cancellable": (422, "BUSINESS_006", None),
    "all_recipients_opted_out": (422, "BUSINESS_004", "All recipients have opted out"),
    "rate_limited": (429, "BUSINESS_002", "Rate limit exceeded"),
    "bad_request": (400, "VALIDATION_001", None),
    "validation_failed": (400, "VALIDATION_001", None),
    "method_not_allowed": (405, "VALIDATION_001", None),
    "not_found": (404, "RESOURCE_000", None),
    "invalid_webhook_url": (400, "VALIDATION_001", None),
    "webhook_url_not_allowed": (400, "VALIDATION_001", None),
    "unknown_event_type": (400, "VALIDATION_006", None),
}

_BY_STATUS: dict[int, str] = {
    400: "VALIDATION_001",
    401: "AUTH_002",
    403: "AUTH_004",
    404: "RESOURCE_000",
    409: "CONFLICT_001",
    422: "VALIDATION_001",
    429: "BUSINESS_002",
}

# Conflicts a retry cannot resolve: tell the SDK (which retries every 409) not to.
_NO_RETRY = frozenset({"RESOURCE_007", "CONFLICT_006"})


def classify(exc: Exception) -> tuple[int, str, str]:
    """HTTP status, sent.dm code and message for any exception."""
    if not isinstance(exc, AppError):
        return 500, "INTERNAL_001", "An unexpected error occurred."
    if isinstance(exc, SentDmError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, InvalidParam):
        code = "VALIDATION_005" if exc.problem is Problem.RANGE else "VALIDATION_001"
        return 400, code, f"{exc.name} {exc.text}"
    known = _CATALOGUE.get(exc.code)
    if known is not None:
        status, code, message = known
        return status, code, message or exc.message
    if isinstance(exc, ValidationFailed):
        return 400, "VALIDATION_001", exc.message
    if exc.status >= 500:
        return exc.status, "INTERNAL_001", "An unexpected error occurred."
    return exc.status, _BY_STATUS.get(exc.status, "VALIDATION_001"), exc.message


def render_error(request: Request, exc: Exception) -> Response:
    """The v3 error envelope, with the headers every v3 response carries (the dialect kit
    adds the rate-limit headers once the caller was counted)."""
    from signalpost.api.sentdm.envelope import call_of, respond

    call = call_of(request)
    status, code, message = classify(exc)
    details = exc.details if isinstance(exc, AppError) else None
    error = {"code": code, "message": message, "details": details, "doc_url": DOC_URL + code}
    response = respond(call, None, status, error=error)
    if code in _NO_RETRY:
        response.set_header("x-should-retry", "false")
    return response


class CustomerNotFound(SentDmError):
    """Customer not found"""

    status = 404
    code = "RESOURCE_004"
