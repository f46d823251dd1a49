"""The sent.dm carrier against a scripted provider (its requests answered in-process):
answers and egress failures mapped to outcomes, Retry-After honoured, events verified and
mapped."""

from __future__ import annotations

import re
import time
from typing import Any, cast

import orjson
import pytest

from signalpost.carriers.base import NO_RESPONSE, Inbound, InboundOwner, Submission, SubmitOutcome
from signalpost.carriers.http import (
    BadEvent,
    ProviderConfig,
    ProviderEvents,
    SentDmCarrier,
    UnownedInbound,
)
from signalpost.carriers.http.sentdm import receipt_status
from signalpost.domain.lifecycle import Status
from signalpost.egress import (
    AddressRefused,
    ConnectFailed,
    ConnectionClosed,
    ConnectTimedOut,
    EgressError,
    InvalidResponse,
    Reply,
    ResolveFailed,
    TimedOut,
    TlsFailed,
)
from signalpost.storage import Database
from signalpost.webhooks.signing import new_whsec, standard_signature
from tests.support.scripted_provider import Call, ScriptedClient, answer
from tests.support.sentdm import signed_event

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
    client = ScriptedClient(handler)
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


def _accepted(request: Call) -> Reply:
    body = orjson.loads(request.body)
    data = {"recipients": [{"message_id": "up-" + body["to"][0][-4:], "to": body["to"][0]}]}
    return answer(202, json={"success": True, "data": data, "error": None})


async def test_submit_sends_key_profile_and_idempotency_key_and_keeps_the_provider_id() -> None:
    seen: list[Call] = []

    def handler(request: Call) -> Reply:
        seen.append(request)
        return _accepted(request)

    [result] = await _carrier(handler).submit([_submission()])
    assert result.outcome == SubmitOutcome.ACCEPTED
    assert result.carrier_message_id == "up-1234"
    request = seen[0]
    assert request.path == "/v3/messages"
    assert request.headers["x-api-key"] == "key-1"
    assert request.headers["x-profile-id"] == "11111111-1111-1111-1111-111111111111"
    assert request.headers["idempotency-key"] == "m-1"
    assert orjson.loads(request.body) == {
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
    def handler(request: Call) -> Reply:
        del request
        if status >= 500:
            return answer(status, text="upstream trouble")
        error = {"code": "AUTH_001" if status == 401 else "VALIDATION_001", "message": "no"}
        return answer(status, json={"success": False, "data": None, "error": error})

    [result] = await _carrier(handler).submit([_submission()])
    assert (result.outcome, result.error_code) == (outcome, code)
    if outcome == SubmitOutcome.PERMANENT:
        assert result.status == Status.FAILED
        assert result.reason_code == "DELIVERY_008"


async def test_429_pauses_the_carrier_for_retry_after() -> None:
    calls = 0

    def handler(request: Call) -> Reply:
        nonlocal calls
        calls += 1
        del request
        return answer(429, headers={"retry-after": "30"}, json={"error": None})

    carrier = _carrier(handler)
    [first] = await carrier.submit([_submission()])
    assert first.outcome == SubmitOutcome.TRANSIENT
    assert not carrier.available
    [second] = await carrier.submit([_submission(mid="m-2")])
    assert (second.outcome, second.error_code) == (SubmitOutcome.TRANSIENT, "THROTTLED")
    assert calls == 1  # nothing sent while paused
    carrier._paused_until = time.monotonic() - 1
    assert carrier.available


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConnectFailed("connection refused by upstream.test:80"), "CONNECTION"),
        (ConnectTimedOut("timed out after 5 s connecting to upstream.test:80"), "CONNECTION"),
        (ResolveFailed("cannot resolve upstream.test: no addresses"), "CONNECTION"),
        (TlsFailed("the TLS certificate of upstream.test:443 was not accepted"), "CONNECTION"),
        (
            AddressRefused("upstream.test resolves to 10.0.0.7, a private address"),
            "ADDRESS_REFUSED",
        ),
        (TimedOut("timed out after 10 s waiting for a response"), NO_RESPONSE),
        (ConnectionClosed("upstream.test:80 closed the connection before a response"), NO_RESPONSE),
        (InvalidResponse("invalid HTTP response from upstream.test:80"), NO_RESPONSE),
    ],
)
async def test_a_request_that_never_left_may_fail_over_but_a_lost_answer_may_not(
    error: EgressError, code: str
) -> None:
    def handler(request: Call) -> Reply:
        del request
        raise error

    [result] = await _carrier(handler).submit([_submission()])
    assert (result.outcome, result.error_code) == (SubmitOutcome.TRANSIENT, code)
    assert str(error) in (result.reason or "")


async def test_a_refused_address_names_the_setting_that_allows_it() -> None:
    def handler(request: Call) -> Reply:
        del request
        raise AddressRefused("upstream.test resolves to 127.0.0.1, a loopback address")

    [result] = await _carrier(handler).submit([_submission()])
    assert "allow_private = true" in (result.reason or "")


async def test_stopping_the_carrier_closes_its_client() -> None:
    client = ScriptedClient(_accepted)
    carrier = SentDmCarrier(_carrier(_accepted).config, cast(Database, None), client)
    await carrier.stop()
    assert client.closed


def _event(status: str, **payload: Any) -> tuple[dict[str, str], bytes]:
    return _signed(
        {
            "field": "message",
            "event": "message." + status.lower(),
            "payload": {"message_id": "up-1", "message_status": status, **payload},
        }
    )


def _signed(event: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    return signed_event(SECRET, event)


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
    [receipt] = _carrier(_accepted).parse_event(headers, body).receipts
    assert (receipt.carrier_message_id, receipt.status) == ("up-1", expected)
    assert receipt.reason_code == code


def test_events_before_sent_say_nothing() -> None:
    headers, body = _event("ROUTED")
    assert _carrier(_accepted).parse_event(headers, body) == ProviderEvents()
    assert receipt_status("queued", None) is None


OURS, THEIRS = "+18005550100", "+14155551234"
OWNERS = {
    "inbound": InboundOwner("org-1"),
    "inbound_numbers": {OURS: InboundOwner("org-2", "profile-2")},
}


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"inbound_number": THEIRS, "outbound_number": OURS}, "event"),
        ({"from": THEIRS, "to": OURS, "provider": "x"}, "sub_type"),  # the older docs' keys
    ],
)
def test_received_messages_become_inbound_messages_of_the_numbers_owner(
    payload: dict[str, Any], key: str
) -> None:
    event = {
        "field": "message",
        key: "message.received",
        "payload": {
            "message_id": "in-1",
            "channel": "whatsapp",
            "text": "STOP",
            "received_at": "2026-03-11T20:00:00Z",
            **payload,
        },
    }
    found = _carrier(_accepted, **OWNERS).parse_event(*_signed(event))
    assert found == ProviderEvents(
        inbound=[
            Inbound(
                "org-2",
                "profile-2",
                THEIRS,
                OURS,
                "STOP",
                1_773_259_200_000_000,
                channel="whatsapp",
                protocol="sentdm",
                carrier_message_id="in-1",
            )
        ]
    )


def test_received_messages_need_numbers_and_an_owner() -> None:
    def received(**payload: Any) -> tuple[dict[str, str], bytes]:
        return _signed({"event": "message.received", "payload": {"text": None, **payload}})

    other = "+18005550199"
    owned = _carrier(_accepted, **OWNERS)
    [message] = owned.parse_event(*received(inbound_number=THEIRS, outbound_number=other)).inbound
    assert (message.tenant_id, message.text, message.carrier_message_id) == ("org-1", "", None)
    assert message.channel == "sms"  # none given
    for given, kept in (("rcs", "rcs"), ("fax", "sms")):  # as it came, if a channel at all
        event = received(inbound_number=THEIRS, outbound_number=OURS, channel=given)
        assert [m.channel for m in owned.parse_event(*event).inbound] == [kept]
    with pytest.raises(UnownedInbound, match=re.escape(other)):
        _carrier(_accepted).parse_event(*received(inbound_number=THEIRS, outbound_number=other))
    with pytest.raises(BadEvent, match="inbound_number"):
        _carrier(_accepted, **OWNERS).parse_event(*received(inbound_number=THEIRS))
    with pytest.raises(BadEvent, match="received_at"):
        _carrier(_accepted, **OWNERS).parse_event(
            *received(inbound_number=THEIRS, outbound_number=OURS, received_at="yesterday")
        )


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
