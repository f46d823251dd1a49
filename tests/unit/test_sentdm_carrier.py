"""The sent.dm carrier against a scripted provider (httpx.MockTransport): answers mapped to
outcomes, Retry-After honoured, events verified and mapped."""

from __future__ import annotations

import time
from typing import Any, cast

import httpx
import orjson
import pytest

from signalpost.carriers.base import NO_RESPONSE, Submission, SubmitOutcome
from signalpost.carriers.http import BadEvent, ProviderConfig, SentDmCarrier
from signalpost.carriers.http.sentdm import receipt_status
from signalpost.domain.lifecycle import Status
from signalpost.storage import Database
from signalpost.webhooks.signing import new_whsec, standard_signature

SECRET = new_whsec()


def _carrier(handler: Any, **config: Any) -> SentDmCarrier:
    settings = ProviderConfig(
        name="up",
        kind="sentdm",
        base_url="http://upstream.test",
        api_key="key-1",
        profile_id="11111111-1111-1111-1111-111111111111",
        webhook_secret=SECRET,
        channels=frozenset({"sms", "whatsapp"}),
        **config,
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return SentDmCarrier(settings, cast(Database, None), client)


def _submission(to: str = "+14155551234", mid: str = "m-1") -> Submission:
    return Submission(
        attempt_id="a-" + mid,
        message_id=mid,
        to=to,
        sender=None,
        body="Hello",
        channel="sms",
        encoding="gsm7",
        segments=1,
        expires_at=0,
    )


def _accepted(request: httpx.Request) -> httpx.Response:
    body = orjson.loads(request.content)
    data = {"recipients": [{"message_id": "up-" + body["to"][0][-4:], "to": body["to"][0]}]}
    return httpx.Response(202, json={"success": True, "data": data, "error": None})


async def test_submit_sends_key_profile_and_idempotency_key_and_keeps_the_provider_id() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _accepted(request)

    [result] = await _carrier(handler).submit([_submission()])
    assert result.outcome == SubmitOutcome.ACCEPTED
    assert result.carrier_message_id == "up-1234"
    request = seen[0]
    assert request.url.path == "/v3/messages"
    assert request.headers["x-api-key"] == "key-1"
    assert request.headers["x-profile-id"] == "11111111-1111-1111-1111-111111111111"
    assert request.headers["idempotency-key"] == "m-1"
    assert orjson.loads(request.content) == {
        "to": ["+14155551234"],
        "channel": ["sms"],
        "text": "Hello",
    }


@pytest.mark.parametrize(
    ("status", "outcome", "code"),
    [
        (500, SubmitOutcome.TRANSIENT, "HTTP_500"),
        (503, SubmitOutcome.TRANSIENT, "HTTP_503"),
        (401, SubmitOutcome.TRANSIENT, "AUTH_001"),
        (400, SubmitOutcome.PERMANENT, "VALIDATION_001"),
        (422, SubmitOutcome.PERMANENT, "VALIDATION_001"),
    ],
)
async def test_errors_are_transient_or_permanent(
    status: int, outcome: SubmitOutcome, code: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        del request
        if status >= 500:
            return httpx.Response(status, text="upstream trouble")
        error = {"code": "AUTH_001" if status == 401 else "VALIDATION_001", "message": "no"}
        return httpx.Response(status, json={"success": False, "data": None, "error": error})

    [result] = await _carrier(handler).submit([_submission()])
    assert (result.outcome, result.error_code) == (outcome, code)
    if outcome == SubmitOutcome.PERMANENT:
        assert result.status == Status.FAILED
        assert result.reason_code == "DELIVERY_008"


async def test_429_pauses_the_carrier_for_retry_after() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        del request
        return httpx.Response(429, headers={"retry-after": "30"}, json={"error": None})

    carrier = _carrier(handler)
    [first] = await carrier.submit([_submission()])
    assert first.outcome == SubmitOutcome.TRANSIENT
    assert not carrier.available
    [second] = await carrier.submit([_submission(mid="m-2")])
    assert (second.outcome, second.error_code) == (SubmitOutcome.TRANSIENT, "THROTTLED")
    assert calls == 1  # nothing sent while paused
    carrier._paused_until = time.monotonic() - 1
    assert carrier.available


async def test_a_refused_connection_may_fail_over_but_a_lost_answer_may_not() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def lost(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    [a] = await _carrier(refused).submit([_submission()])
    [b] = await _carrier(lost).submit([_submission()])
    assert (a.outcome, a.error_code) == (SubmitOutcome.TRANSIENT, "CONNECTION")
    assert (b.outcome, b.error_code) == (SubmitOutcome.TRANSIENT, NO_RESPONSE)


def _event(status: str, **payload: Any) -> tuple[dict[str, str], bytes]:
    body = orjson.dumps(
        {
            "field": "message",
            "event": "message." + status.lower(),
            "payload": {"message_id": "up-1", "message_status": status, **payload},
        }
    )
    at = int(time.time())
    signature = standard_signature(SECRET, "wh-1", at, body)
    headers = {
        "x-webhook-id": "wh-1",
        "x-webhook-timestamp": str(at),
        "x-webhook-signature": signature,
    }
    return headers, body


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("DELIVERED", None, Status.DELIVERED),
        ("READ", None, Status.READ),
        ("FAILED", "DELIVERY_001", Status.FAILED),
        ("FAILED", "DELIVERY_002", Status.EXPIRED),
        ("FAILED", "DELIVERY_003", Status.REJECTED),
    ],
)
def test_signed_events_become_receipts(status: str, code: str | None, expected: Status) -> None:
    headers, body = _event(status, reason_code=code, reason="why" if code else None)
    [receipt] = _carrier(_accepted).parse_event(headers, body)
    assert (receipt.carrier_message_id, receipt.status) == ("up-1", expected)
    assert receipt.reason_code == code


def test_events_before_sent_say_nothing() -> None:
    headers, body = _event("ROUTED")
    assert _carrier(_accepted).parse_event(headers, body) == []
    assert receipt_status("queued", None) is None


@pytest.mark.parametrize("tamper", ["body", "signature", "old"])
def test_events_not_signed_by_the_provider_are_refused(tamper: str) -> None:
    headers, body = _event("DELIVERED")
    if tamper == "body":
        body = body.replace(b"DELIVERED", b"FAILED")
    elif tamper == "signature":
        headers["x-webhook-signature"] = standard_signature(new_whsec(), "wh-1", 1, body)
    else:
        at = int(time.time()) - 3600
        headers["x-webhook-timestamp"] = str(at)
        headers["x-webhook-signature"] = standard_signature(SECRET, "wh-1", at, body)
    with pytest.raises(BadEvent):
        _carrier(_accepted).parse_event(headers, body)
