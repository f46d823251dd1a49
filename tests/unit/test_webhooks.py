"""Webhooks without a database: URL safety, signing, formats, backoff and retry policy."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from signalpost.activities.schemas import Activity
from signalpost.api.dialects import install_webhook_formats
from signalpost.consent.schemas import (
    ConsentChange,
    ConsentStatus,
    Recipient,
    SuppressionSource,
)
from signalpost.domain.keywords import KeywordAction
from signalpost.domain.lifecycle import Status
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied
from signalpost.webhooks import formats, signing
from signalpost.webhooks.exceptions import InvalidWebhookUrl, WebhookUrlNotAllowed
from signalpost.webhooks.formats import EndpointInfo, NativeFormat, SigningContext
from signalpost.webhooks.recording import Claimed, Outcome, _next_state, _rows, backoff_seconds
from signalpost.webhooks.safety import UrlGuard
from signalpost.webhooks.schemas import AttemptResult, DeliveryPolicy


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://localhost/hook", "loopback host name"),
        ("http://api.localhost/hook", "loopback host name"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.1.10/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[2002:7f00:1::1]/", "loopback address (6to4 form of 127.0.0.1)"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local address (NAT64 form of 169.254.169.254)"),
    ],
)
def test_local_urls_are_refused_without_dns(url: str, fragment: str) -> None:
    with pytest.raises(WebhookUrlNotAllowed) as caught:
        UrlGuard(allow_private=False).check_static(url)
    assert fragment in caught.value.message
    assert caught.value.status == 422
    assert caught.value.details == {"url": [caught.value.reason]}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "example.com/hook",
        "http:///nohost",
        "http://exa mple.com/",
        "x" * 3000,
    ],
)
def test_malformed_urls_are_invalid(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl):
        UrlGuard(allow_private=False).check_static(url)


def test_the_setting_allows_local_urls() -> None:
    guard = UrlGuard(allow_private=True)
    assert guard.check_static("http://127.0.0.1:9/hook").hostname == "127.0.0.1"
    with pytest.raises(InvalidWebhookUrl):
        guard.check_static("file:///etc/passwd")


def _resolver(answers: dict[str, list[str]]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        del port
        if host not in answers:
            raise OSError("name not known")
        return answers[host]

    return resolve


async def test_names_resolving_to_local_addresses_are_refused() -> None:
    guard = UrlGuard(
        allow_private=False,
        resolver=_resolver(
            {"evil.example": ["93.184.216.34", "10.0.0.5"], "ok.example": ["1.2.3.4"]}
        ),
    )
    with pytest.raises(WebhookUrlNotAllowed, match=r"evil\.example resolves to 10\.0\.0\.5"):
        await guard.check("https://evil.example/hook")
    with pytest.raises(InvalidWebhookUrl, match="does not resolve"):
        await guard.check("https://missing.example/hook")
    await guard.check("https://ok.example/hook")


# --------------------------------------------------------------------------- formats


def _applied(status: Status = Status.DELIVERED) -> Applied:
    message: dict[str, Any] = {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "organization_id": "org",
        "tenant_id": "org",
        "batch_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "message_key": None,
        "channel": "sms",
        "to_number": "+14155551234",
        "from_number": None,
        "region_code": "US",
        "body": "Hello",
        "template_id": None,
        "template_name": None,
        "encoding": "GSM7",
        "segments": 1,
        "price_micros": 7500,
        "currency": "USD",
        "status": status.value,
        "reason_code": None,
        "reason": None,
        "carrier": "simulator",
        "carrier_message_id": "sim-1",
        "dialect": "native",
        "metadata": '{"order": 42}',
        "scheduled_at": None,
        "expires_at": 1_800_000_000_000_000,
        "created_at": 1_700_000_000_000_000,
        "updated_at": 1_700_000_001_000_000,
        "sent_at": 1_700_000_000_500_000,
        "delivered_at": 1_700_000_001_000_000,
        "attempts": 1,
        "revision": 3,
    }
    activity = Activity(
        id=0,
        message_id=message["id"],
        status=status.value,
        description="Delivered",
        reason_code=None,
        reason=None,
        error_code=None,
        price_micros=7500,
        created_at=1_700_000_001_000_000,
    )
    return Applied(Message(**message), Status.SENT, activity)


def test_native_events_name_customer_visible_steps_only() -> None:
    native = formats.get("native")
    assert native.event_types(_applied(Status.DELIVERED)) == ["message.delivered"]
    assert native.event_types(_applied(Status.PROCESSED)) == []
    assert native.event_types(_applied(Status.ROUTED)) == []
    assert native.event_types(_applied(Status.ACCEPTED)) == []


def _inbound(keyword: KeywordAction | None) -> Applied:
    step = _applied(Status.RECEIVED)
    message = replace(step.message, tenant_id="profile", from_number="+14155551234")
    message = replace(message, to_number="+14155550100", body="Stop", price_micros=0, carrier=None)
    activity = step.activity._replace(description="Received", price_micros=0)
    return Applied(message, Status.RECEIVED, activity, 1, keyword=keyword)


def _change(status: ConsentStatus, tenant: str = "org") -> ConsentChange:
    recipient = Recipient(
        "r1",
        tenant,
        "+14155551234",
        status,
        1_700_000_000_000_000,
        1_700_000_002_000_000,
        "'STOP' received from the recipient",
        SuppressionSource.KEYWORD,
    )
    return ConsentChange(recipient, "org", "STOP", "m1")


def test_native_names_inbound_messages_and_consent_changes() -> None:
    native = formats.get("native")
    assert {"message.received", "recipient.opted_out", "recipient.opted_in"} <= set(native.catalog)
    assert native.event_types(_inbound(None)) == ["message.received"]
    assert native.consent_event_types(_change(ConsentStatus.OPTED_OUT)) == ["recipient.opted_out"]
    assert native.consent_event_types(_change(ConsentStatus.ACTIVE)) == ["recipient.opted_in"]
    assert native.matches(["recipient"], "recipient.opted_in")
    assert not native.matches(["message"], "recipient.opted_out")


def test_native_inbound_payload_carries_the_message_its_tenant_and_keyword() -> None:
    native = NativeFormat()
    event = orjson.loads(
        native.payload("message.received", _inbound(KeywordAction.OPT_OUT), "e", 1_700_000_001)
    )
    assert event["type"] == "message.received"
    data = event["data"]
    assert (data["from"], data["to"], data["text"]) == ("+14155551234", "+14155550100", "Stop")
    assert (data["organization_id"], data["profile_id"]) == ("org", "profile")
    assert data["keyword"] == "opt_out"
    assert data["received_at"] == "2023-11-14T22:13:20.000000Z"
    assert data["activity"]["sequence"] == 1
    plain = orjson.loads(native.payload("message.received", _inbound(None), "e", 1))
    assert plain["data"]["keyword"] is None


def test_native_consent_payload_and_signature() -> None:
    native = NativeFormat()
    info = EndpointInfo("ep", "org", "org", "native", "https://example.com/")
    context = formats.ConsentEventContext(
        "recipient.opted_out", _change(ConsentStatus.OPTED_OUT), "e3", 1_700_000_002_000_000, info
    )
    body = native.build_consent(context)
    secret = signing.new_whsec()
    event = Webhook(secret).verify(body, native.headers(secret, "e3", int(time.time()), body))
    assert event == {
        "type": "recipient.opted_out",
        "id": "e3",
        "timestamp": "2023-11-14T22:13:22.000000Z",
        "data": {
            "phone_number": "+14155551234",
            "status": "opted_out",
            "organization_id": "org",
            "profile_id": None,
            "reason": "'STOP' received from the recipient",
            "source": "keyword",
            "keyword": "STOP",
            "message_id": "m1",
            "changed_at": "2023-11-14T22:13:22.000000Z",
        },
    }


def test_other_dialects_ignore_consent_changes() -> None:
    install_webhook_formats()
    others = [d for d in formats.dialects() if d != "native"]
    assert {"sentdm", "mailersend"} <= set(others)
    for dialect in others:
        fmt = formats.get(dialect)
        for status in ConsentStatus:
            assert fmt.consent_event_types(_change(status)) == [], dialect
        assert not {"recipient.opted_out", "recipient.opted_in"} & set(fmt.catalog), dialect


def test_native_payload_and_signature_verify_with_standardwebhooks() -> None:
    native = NativeFormat()
    secret = signing.new_whsec()
    body = native.payload("message.delivered", _applied(), "evt-1", 1_700_000_001_000_000)
    event = orjson.loads(body)
    assert event["type"] == "message.delivered"
    assert event["id"] == "evt-1"
    assert event["timestamp"] == "2023-11-14T22:13:21.000000Z"
    assert event["data"]["to"] == "+14155551234"
    assert event["data"]["metadata"] == {"order": 42}
    assert event["data"]["price"] is not None
    assert event["data"]["activity"]["status"] == "delivered"
    now = int(time.time())
    headers = native.headers(secret, "evt-1", now, body)
    assert headers["webhook-id"] == "evt-1"
    assert Webhook(secret).verify(body, headers) == event
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_whsec()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"Hello", b"Hellp"), headers)


def test_native_signs_with_both_secrets_during_a_rotation() -> None:
    native = NativeFormat()
    old, new = signing.new_whsec(), signing.new_whsec()
    body = b'{"type":"message.sent"}'
    info = EndpointInfo("ep", "t", "o", "native", "https://example.com/")
    context = SigningContext(
        new, (new, old), "evt-2", "message.sent", int(time.time()), body, info, 1
    )
    headers = native.sign(context)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)


def test_subscriptions_match_exact_names_families_and_everything() -> None:
    native = formats.get("native")
    assert native.matches([], "message.sent")
    assert native.matches(["*"], "message.sent")
    assert native.matches(["message"], "message.sent")
    assert native.matches(["message.sent"], "message.sent")
    assert not native.matches(["message.delivered"], "message.sent")
    assert not native.matches(["mess"], "message.sent")


class _MinimalFormat(formats.WebhookFormat):
    """A format with the three required members only."""

    dialect = "minimal-test"

    def event_types(self, applied: Applied) -> list[str]:
        return ["duck." + applied.activity.status]

    def payload(self, event_type: str, applied: Applied, event_id: str, occurred_at: int) -> bytes:
        return orjson.dumps({"e": event_type, "id": event_id, "at": occurred_at})

    def headers(
        self, endpoint_secret: str, event_id: str, timestamp: int, body: bytes
    ) -> dict[str, str]:
        return {"x-sig": signing.hmac_sha256_hex(endpoint_secret.encode(), body)}


def test_a_format_with_the_required_members_gets_every_hook() -> None:
    registered = formats.register(_MinimalFormat())
    assert formats.get("minimal-test") is registered
    applied = _applied(Status.SENT)
    assert registered.event_types(applied) == ["duck.sent"]
    assert registered.consent_event_types(_change(ConsentStatus.OPTED_OUT)) == []
    info = EndpointInfo("ep", "t", "o", "minimal-test", "https://example.com/")
    event = formats.EventContext("duck.sent", applied, "e1", 5, info)
    body = registered.build(event)
    assert orjson.loads(body) == {"e": "duck.sent", "id": "e1", "at": 5}
    signed = registered.sign(SigningContext("k", ("k",), "e1", "duck.sent", 1, body, info, 1))
    assert signed == {"x-sig": signing.hmac_sha256_hex(b"k", body)}
    assert registered.is_success(204, b"")
    assert not registered.is_success(302, b"")
    with pytest.raises(formats.UnknownDialect):
        formats.get("no-such-dialect")
    with pytest.raises(TypeError, match="derives from WebhookFormat"):
        formats.register(object())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- retries


@given(st.integers(min_value=1, max_value=200))
def test_backoff_is_exponential_with_jitter_and_capped(attempt_no: int) -> None:
    policy = DeliveryPolicy(retry_base_seconds=5.0, retry_max_seconds=3600.0)
    ceiling = min(3600.0, 5.0 * 2 ** (attempt_no - 1))
    delay = backoff_seconds(policy, attempt_no)
    assert ceiling * 0.5 <= delay <= ceiling


def _claimed(attempts: int, created_at: int, endpoint: str = "ep") -> Claimed:
    return Claimed("evt", endpoint, "t", "message.sent", "{}", attempts, created_at, "tok")


def _result(ok: bool, at: int, error: str | None = None) -> AttemptResult:
    return AttemptResult(ok, 200 if ok else 503, 3, None, None if ok else error or "HTTP 503", at)


@pytest.mark.parametrize("seed", range(5))
def test_a_failing_event_is_retried_for_at_least_the_whole_window(seed: int) -> None:
    random.seed(seed)
    policy = DeliveryPolicy()
    created = now = 1_000_000
    attempts = 0
    while True:
        outcome = Outcome(_claimed(attempts, created), _result(False, now))
        status, due = _next_state(policy, outcome, now)
        attempts += 1
        if due is None:
            break
        assert status == "pending"
        assert due > now
        now = due
    assert status == "failed"
    assert now - created >= policy.retry_window_seconds * 1_000_000
    assert 10 <= attempts <= 80


def test_max_attempts_and_success_end_an_event() -> None:
    policy = DeliveryPolicy()
    event = _claimed(2, 0)
    assert _next_state(policy, Outcome(event, _result(False, 10), max_attempts=3), 10)[1] is None
    assert _next_state(policy, Outcome(event, _result(True, 10)), 10) == ("delivered", None)
    assert _next_state(policy, Outcome(event, None, reason="disabled"), 10) == ("failed", None)
    paused = Outcome(event, None, reason="disabled", paused=True)
    assert _next_state(policy, paused, 10) == ("paused", None)


def test_endpoint_health_counts_failures_after_the_last_success() -> None:
    def last_try(endpoint: str, result: AttemptResult | None, **kw: Any) -> Outcome:
        return Outcome(_claimed(0, 0, endpoint), result, max_attempts=1, **kw)

    outcomes = [
        last_try("a", _result(False, 1)),
        last_try("a", _result(True, 2)),
        last_try("a", _result(False, 3)),
        Outcome(_claimed(0, 0, "a"), _result(False, 4)),  # retried later: not given up
        last_try("b", _result(False, 5, "connect: refused")),
        last_try("b", _result(False, 6, "timeout: slow")),
        last_try("c", None, reason="disabled"),
    ]
    _attempts, _finished, health = _rows(DeliveryPolicy(), outcomes, 10)
    assert sorted(health) == ["a", "b"]
    assert health["a"].row("a") == (
        True,
        {
            "id": "a",
            "failures": 2,
            "failed_events": 1,
            "failing_since": 3,
            "last_attempt_at": 4,
            "last_success_at": 2,
        },
    )
    assert health["b"].row("b") == (
        False,
        {"id": "b", "failures": 2, "failed_events": 2, "failing_since": 5, "last_attempt_at": 6},
    )
    assert health["a"].last_error == "HTTP 503"
    assert health["b"].last_error == "timeout: slow"
