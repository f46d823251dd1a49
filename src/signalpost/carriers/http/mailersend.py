"""MailerSend SMS as a carrier.

- submit: ``POST /v1/sms`` (``Authorization: Bearer``), one recipient per request, from the
  message's sender or the provider's ``default_sender``; the ``X-SMS-Message-Id`` header of
  the 202 is the provider's id.  MailerSend has no idempotency key: the carrier is not
  ``idempotent`` (a submit whose answer was lost is asked again, at least once);
- events: ``sms.sent``, ``sms.delivered``, ``sms.failed`` with the ``Signature`` header, the
  hex HMAC-SHA256 of the raw body keyed with the webhook's signing secret;
- polling: ``GET /v1/sms-messages/{id}``.

A failed SMS is told apart by its ``error_type``: ``expired``, ``rejected`` and the rest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from signalpost.carriers.base import Receipt, Submission
from signalpost.carriers.http.base import (
    BadEvent,
    HttpCarrier,
    ProviderEvents,
    header,
    json_object,
    text,
)
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.egress import Reply
from signalpost.timeutil import now_us

__all__ = ["MailerSendCarrier", "receipt_status"]

_FAILURES: dict[str, tuple[Status, ReasonCode]] = {
    "undeliverable": (Status.FAILED, ReasonCode.UNDELIVERABLE),
    "expired": (Status.EXPIRED, ReasonCode.EXPIRED),
    "rejected": (Status.REJECTED, ReasonCode.REJECTED),
    "blocked": (Status.REJECTED, ReasonCode.UNKNOWN_FINAL),
    "opted_out": (Status.REJECTED, ReasonCode.OPTED_OUT),
}


def receipt_status(status: str, error_type: str | None) -> tuple[Status, str | None] | None:
    """The canonical status and reason code of a MailerSend SMS status (None: not yet sent)."""
    if status == "sent":
        return Status.SENT, None
    if status == "delivered":
        return Status.DELIVERED, None
    if status == "failed":
        found = _FAILURES.get(error_type or "", (Status.FAILED, ReasonCode.UNKNOWN_FINAL))
        return found[0], found[1].value
    return None


def _receipt(cid: str, sms: Mapping[str, Any]) -> Receipt | None:
    status, error_type = sms.get("status"), sms.get("error_type")
    if not isinstance(status, str):
        return None
    found = receipt_status(status, error_type if isinstance(error_type, str) else None)
    if found is None:
        return None
    reason = sms.get("error_description")
    return Receipt(
        cid,
        found[0],
        now_us(),
        reason_code=found[1],
        reason=reason if isinstance(reason, str) and found[1] else None,
        error_code=error_type if isinstance(error_type, str) else None,
    )


class MailerSendCarrier(HttpCarrier):
    idempotent = False

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.config.api_key}", "accept": "application/json"}

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + path

    async def _post(self, s: Submission) -> Reply:
        body = {"from": s.sender or self.config.default_sender, "to": [s.to], "text": s.body}
        return await self.client.request(
            "POST",
            self._url("/v1/sms"),
            body=orjson.dumps(body),
            headers={**self._headers(), "content-type": "application/json"},
            timeout=self.config.timeout_seconds,
        )

    def _accepted_id(self, response: Reply) -> str | None:
        return header(response, "x-sms-message-id") or None

    def _error_code(self, response: Reply) -> tuple[str, str]:
        data = json_object(response)
        message = str(data.get("message") or text(response))[:200]
        errors = data.get("errors")
        if isinstance(errors, dict) and errors:
            first = next(iter(errors))
            return f"VALIDATION:{first}"[:64], message
        return "", message

    async def _fetch(self, carrier_message_id: str) -> Receipt | None:
        response = await self.client.request(
            "GET",
            self._url(f"/v1/sms-messages/{carrier_message_id}"),
            headers=self._headers(),
            timeout=self.config.timeout_seconds,
        )
        if response.status != 200:
            return None
        data = json_object(response).get("data")
        sms = data.get("sms") if isinstance(data, dict) else None
        if not isinstance(sms, list) or not sms or not isinstance(sms[0], dict):
            return None
        return _receipt(carrier_message_id, sms[0])

    def parse_event(self, headers: Mapping[str, str], body: bytes) -> ProviderEvents:
        secret = self.config.webhook_secret
        if not secret:
            raise BadEvent("this carrier has no webhook_secret configured")
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("signature", "").strip().lower()):
            raise BadEvent("signature: no match")
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadEvent("the body is not JSON") from exc
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("sms_message_id"), str):
            return ProviderEvents()  # a test event: inbound messages go to inbound routes
        raw = data.get("sms")
        sms: dict[str, Any] = raw if isinstance(raw, dict) else {}
        found = _receipt(data["sms_message_id"], {**sms, "status": data.get("status")})
        return ProviderEvents([found] if found is not None else [])
