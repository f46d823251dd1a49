"""The MailerSend carrier against a scripted provider (its requests answered in-process)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, cast

import orjson
import pytest

from signalpost.carriers.base import Submission, SubmitOutcome
from signalpost.carriers.http import BadEvent, ProviderConfig
from signalpost.carriers.http.mailersend import MailerSendCarrier
from signalpost.domain.lifecycle import Status
from signalpost.egress import Reply
from signalpost.storage import Database
from tests.support.scripted_provider import Call, ScriptedClient, answer

SECRET = "s3cr3t-signing-token"


def _carrier(handler: Any) -> MailerSendCarrier:
    settings = ProviderConfig(
        name="ms",
        kind="mailersend",
        base_url="http://mailersend.test",
        api_key="token-1",
        webhook_secret=SECRET,
        channels=frozenset({"sms"}),
        default_sender="+18332647501",
    )
    client = ScriptedClient(handler)
    return MailerSendCarrier(settings, cast(Database, None), client)


def _submission() -> Submission:
    return Submission("a-1", "m-1", "+14155551234", None, "Hi", "sms", "gsm7", 1, 0)


async def test_submit_sends_from_the_default_number_and_keeps_the_send_id() -> None:
    seen: list[Call] = []

    def handler(request: Call) -> Reply:
        seen.append(request)
        return answer(202, headers={"x-sms-message-id": "ms-42"})

    [result] = await _carrier(handler).submit([_submission()])
    assert (result.outcome, result.carrier_message_id) == (SubmitOutcome.ACCEPTED, "ms-42")
    assert seen[0].path == "/v1/sms"
    assert seen[0].headers["authorization"] == "Bearer token-1"
    assert orjson.loads(seen[0].body) == {
        "from": "+18332647501",
        "to": ["+14155551234"],
        "text": "Hi",
    }


async def test_a_validation_error_is_permanent_with_the_field_named() -> None:
    def handler(request: Call) -> Reply:
        del request
        body = {"message": "The from must be a number.", "errors": {"from": ["bad"]}}
        return answer(422, json=body)

    [result] = await _carrier(handler).submit([_submission()])
    assert result.outcome == SubmitOutcome.PERMANENT
    assert result.error_code == "VALIDATION:from"
    assert result.reason == "The from must be a number."


def _signed(payload: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    body = orjson.dumps(payload)
    return {"signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}, body


@pytest.mark.parametrize(
    ("status", "error_type", "expected", "code"),
    [
        ("delivered", None, Status.DELIVERED, None),
        ("failed", "expired", Status.EXPIRED, "DELIVERY_002"),
        ("failed", "rejected", Status.REJECTED, "DELIVERY_003"),
        ("failed", "undeliverable", Status.FAILED, "DELIVERY_001"),
    ],
)
def test_signed_events_become_receipts(
    status: str, error_type: str | None, expected: Status, code: str | None
) -> None:
    sms = {"status": status, "error_type": error_type, "error_description": "why"}
    headers, body = _signed(
        {"type": f"sms.{status}", "data": {"sms_message_id": "ms-42", "status": status, "sms": sms}}
    )
    [receipt] = _carrier(lambda r: answer(500)).parse_event(headers, body).receipts
    assert (receipt.carrier_message_id, receipt.status, receipt.reason_code) == (
        "ms-42",
        expected,
        code,
    )


def test_an_event_with_another_signature_is_refused() -> None:
    headers, body = _signed({"type": "sms.delivered", "data": {"sms_message_id": "x"}})
    with pytest.raises(BadEvent):
        _carrier(lambda r: answer(500)).parse_event(headers, body + b" ")


async def test_polling_reads_the_first_sms_of_the_send() -> None:
    def handler(request: Call) -> Reply:
        assert request.path == "/v1/sms-messages/ms-42"
        sms = [{"status": "failed", "error_type": "rejected", "error_description": "no"}]
        return answer(200, json={"data": {"id": "ms-42", "sms": sms}})

    receipt = await _carrier(handler)._fetch("ms-42")
    assert receipt is not None
    assert (receipt.status, receipt.reason_code, receipt.reason) == (
        Status.REJECTED,
        "DELIVERY_003",
        "no",
    )
