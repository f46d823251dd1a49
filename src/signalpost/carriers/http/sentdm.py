"""sent.dm v3 as a carrier (SMS and WhatsApp).

- submit: ``POST /v3/messages`` with ``x-api-key`` (and ``x-profile-id``), one recipient
  and channel per request, ``Idempotency-Key`` = the message id, so a submit repeated
  (after a crash, a timeout or a lost connection) is answered as the first one and never
  sent twice (the carrier is ``idempotent``);
- events: sent.dm's signed webhooks (``x-webhook-id``, ``x-webhook-timestamp``,
  ``x-webhook-signature``: Standard Webhooks over ``{id}.{timestamp}.{body}``), verified
  with the provider's ``whsec_`` secret, older than five minutes refused;
- polling: ``GET /v3/messages/{id}``.

Statuses: ``sent``, ``delivered`` and ``read`` as they are; ``failed`` by its reason code
(DELIVERY_002 expired, DELIVERY_003 rejected, otherwise failed); ``blocked`` and
``filtered`` at the provider are a rejection; ``cancelled`` a failure.  Steps before
``sent`` say nothing new and are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from standardwebhooks import Webhook, WebhookVerificationError

from signalpost.carriers.base import Inbound, Receipt, Submission
from signalpost.carriers.http.base import (
    BadEvent,
    HttpCarrier,
    ProviderEvents,
    UnownedInbound,
    json_object,
    text,
)
from signalpost.domain.lifecycle import CHANNELS, ReasonCode, Status
from signalpost.egress import Reply
from signalpost.timeutil import now_us, parse_iso

__all__ = ["SentDmCarrier", "receipt_status"]

_PLAIN = {"sent": Status.SENT, "delivered": Status.DELIVERED, "read": Status.READ}
_BY_REASON = {
    ReasonCode.EXPIRED.value: Status.EXPIRED,
    ReasonCode.REJECTED.value: Status.REJECTED,
}


def receipt_status(status: str, reason_code: str | None) -> Status | None:
    """The canonical status for a sent.dm status (either case), None for earlier steps."""
    s = status.lower()
    if s in _PLAIN:
        return _PLAIN[s]
    if s == "failed":
        return _BY_REASON.get(reason_code or "", Status.FAILED)
    if s in ("blocked", "filtered"):
        return Status.REJECTED
    if s == "cancelled":
        return Status.FAILED
    return None


def _receipt(cid: str, status: str, code: Any, reason: Any) -> Receipt | None:
    code = code if isinstance(code, str) else None
    canonical = receipt_status(status, code)
    if canonical is None:
        return None
    final_reason = canonical not in (Status.SENT, Status.DELIVERED, Status.READ)
    if final_reason and code is None:
        code = ReasonCode.UNKNOWN_FINAL.value
    return Receipt(
        cid,
        canonical,
        now_us(),
        reason_code=code if final_reason else None,
        reason=(reason if isinstance(reason, str) else None) if final_reason else None,
        error_code=code if final_reason else None,
    )


class SentDmCarrier(HttpCarrier):
    idempotent = True

    def _headers(self) -> dict[str, str]:
        headers = {"x-api-key": self.config.api_key}
        if self.config.profile_id:
            headers["x-profile-id"] = self.config.profile_id
        return headers

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + path

    async def _post(self, s: Submission) -> Reply:
        body: dict[str, Any] = {"to": [s.to], "channel": [s.channel], "text": s.body}
        if s.sender:
            body["channels"] = {s.channel: [{"from": [s.sender]}]}
        headers = {**self._headers(), "idempotency-key": s.message_id}
        headers["content-type"] = "application/json"
        return await self.client.request(
            "POST",
            self._url("/v3/messages"),
            body=orjson.dumps(body),
            headers=headers,
            timeout=self.config.timeout_seconds,
        )

    def _accepted_id(self, response: Reply) -> str | None:
        data = json_object(response).get("data")
        recipients = data.get("recipients") if isinstance(data, dict) else None
        if isinstance(recipients, list) and recipients and isinstance(recipients[0], dict):
            cid = recipients[0].get("message_id")
            return cid if isinstance(cid, str) and cid else None
        return None

    def _error_code(self, response: Reply) -> tuple[str, str]:
        error = json_object(response).get("error")
        if isinstance(error, dict):
            return str(error.get("code") or ""), str(error.get("message") or "")[:200]
        return "", text(response)[:200]

    async def _fetch(self, carrier_message_id: str) -> Receipt | None:
        response = await self.client.request(
            "GET",
            self._url(f"/v3/messages/{carrier_message_id}"),
            headers=self._headers(),
            timeout=self.config.timeout_seconds,
        )
        if response.status != 200:
            return None
        data = json_object(response).get("data")
        if not isinstance(data, dict) or not isinstance(data.get("status"), str):
            return None
        return _receipt(
            carrier_message_id, data["status"], data.get("reason_code"), data.get("reason")
        )

    def parse_event(self, headers: Mapping[str, str], body: bytes) -> ProviderEvents:
        secret = self.config.webhook_secret
        if not secret:
            raise BadEvent("this carrier has no webhook_secret configured")
        standard = {
            "webhook-id": headers.get("x-webhook-id", ""),
            "webhook-timestamp": headers.get("x-webhook-timestamp", ""),
            "webhook-signature": headers.get("x-webhook-signature", ""),
        }
        try:
            Webhook(secret).verify(body, standard, json_parse=False)
        except (WebhookVerificationError, ValueError) as exc:
            raise BadEvent(f"signature: {exc}") from exc
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadEvent("the body is not JSON") from exc
        payload = event.get("payload") if isinstance(event, dict) else None
        if not isinstance(payload, dict):
            raise BadEvent("the event has no payload")
        if (event.get("event") or event.get("sub_type")) == "message.received":
            return ProviderEvents(inbound=[self._inbound(payload)])
        cid, status = payload.get("message_id"), payload.get("message_status")
        if not isinstance(cid, str) or not isinstance(status, str):
            return ProviderEvents()  # a test event or another family: nothing to apply
        found = _receipt(cid, status, payload.get("reason_code"), payload.get("reason"))
        return ProviderEvents([found] if found is not None else [])

    def _inbound(self, payload: dict[str, Any]) -> Inbound:
        """A ``message.received`` payload (``inbound_number`` is the contact, the older
        ``from``/``to`` keys are read too), owned as the configuration says."""
        source = payload.get("inbound_number", payload.get("from"))
        ours = payload.get("outbound_number", payload.get("to"))
        if not isinstance(source, str) or not source or not isinstance(ours, str) or not ours:
            raise BadEvent("a received message needs inbound_number and outbound_number")
        owner = self.config.owner_for(ours)
        if owner is None:
            raise UnownedInbound(ours)
        said, channel = payload.get("text"), payload.get("channel")
        message_id = payload.get("message_id")
        at = payload.get("received_at")
        try:
            received_at = parse_iso(at) if isinstance(at, str) else now_us()
        except ValueError as exc:
            raise BadEvent(f"received_at is not a date-time: {at!r}") from exc
        return Inbound(
            owner.organization_id,
            owner.tenant_id,
            source,
            ours,
            said if isinstance(said, str) else "",
            received_at,
            channel=channel if channel in CHANNELS else "sms",  # as the provider says it came
            protocol=self.config.kind,
            carrier_message_id=message_id if isinstance(message_id, str) and message_id else None,
        )
