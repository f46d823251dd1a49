"""The SFMC and Lamah vocabularies: statuses, numbers, times, attributes, ENS events."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.activities.schemas import Activity
from signalpost.api.lamah import wire as lamah
from signalpost.api.sfmc import wire
from signalpost.api.sfmc.events import SfmcEnsFormat, sign_body, subscribed_type
from signalpost.domain.lifecycle import Status
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied

US = 1_000_000


def test_cst_is_six_hours_behind_utc_without_offset() -> None:
    at = 1_533_325_278_550_000  # 2018-08-03T13:41:18.55 CST = 19:41:18.55 UTC
    assert wire.cst_timestamp(at) == "2018-08-03T13:41:18.550"
    assert wire.cst_date(at) == "2018-08-03T13:41:18"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("15555551234", "+15555551234"),
        ("1 415-555-1234", "+14155551234"),
        ("+14155551234", "+14155551234"),
        ("abc", "abc"),
    ],
)
def test_numbers_are_digits_with_country_code(raw: str, e164: str) -> None:
    assert wire.to_e164(raw) == e164
    assert wire.phone_digits("+14155551234") == "14155551234"


def test_attributes_are_case_insensitive_and_missing_ones_reported() -> None:
    text, missing = wire.render_attributes(
        "%%FirstName%%, code %%password%% %%Other%% 100%%", {"firstname": "Astro", "PASSWORD": 7}
    )
    assert text == "Astro, code 7 %%Other%% 100%%"
    assert missing == ["Other"]


@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), st.text()))
def test_every_named_attribute_is_substituted(values: dict[str, str]) -> None:
    lowered = {k.lower(): v for k, v in values.items()}
    template = " ".join(f"%%{k}%%" for k in values)
    text, missing = wire.render_attributes(template, values)
    assert missing == []
    assert text == " ".join(lowered[k.lower()] for k in values)


@pytest.mark.parametrize(
    ("status", "reason", "handed_off", "category", "code"),
    [
        ("queued", None, False, "SMSQueued", None),
        ("routed", None, False, "SMSQueued", None),
        ("sent", None, True, "SMSSent", None),
        ("delivered", None, True, "SMSSent", None),
        ("failed", "DELIVERY_001", True, "SMSSent", None),
        ("failed", "DELIVERY_006", False, "SMSNotSent", 129),
        ("cancelled", "SCHEDULE_001", False, "SMSNotSent", 37),
        ("filtered", "CONSENT_001", False, "SMSNotSent", 28),
        ("expired", "DELIVERY_002", False, "SMSNotSent", 139),
        ("blocked", "BUSINESS_003", False, "SMSNotSent", 2),
    ],
)
def test_send_status_categories(
    status: str, reason: str | None, handed_off: bool, category: str, code: int | None
) -> None:
    found = wire.send_status(status, reason, handed_off)
    assert found.category == category
    assert found.status_code == code


def test_message_keys_and_composite_ids() -> None:
    keys = {wire.new_message_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) == 22 for k in keys)
    first = wire.composite_id("ab-c", "t", "b")
    assert first == wire.composite_id("ab-c", "t", "b")
    assert first.startswith("AB-C.")
    assert len(first.split(".")) == 5


def test_signature_is_base64_hmac_with_the_decoded_key() -> None:
    key = base64.b64encode(b"k" * 32).decode()
    body = b'[{"a":1}]'
    expected = base64.b64encode(hmac.new(b"k" * 32, body, hashlib.sha256).digest()).decode()
    assert sign_body(key, body) == expected
    assert SfmcEnsFormat().headers(key, "id", 0, body) == {"x-sfmc-ens-signature": expected}
    assert len(base64.b64decode(SfmcEnsFormat().new_secret())) == 32


_FIXED: dict[str, Any] = dict.fromkeys(Message.__dataclass_fields__)  # unread by the format
_FIXED.update(channel="sms", body="Hi", segments=1, attempts=0, revision=1, events=())
_MESSAGE = Message(**_FIXED)


def _applied(status: str, **message: Any) -> Applied:
    row: dict[str, Any] = {
        "id": "m1",
        "tenant_id": "t",
        "organization_id": "o",
        "batch_id": "b",
        "dialect": "sfmc",
        "message_key": "key-1",
        "to_number": "+14155551234",
        "from_number": "8201221",
        "region_code": "US",
        "sent_at": None,
        "metadata": orjson.dumps({"definitionKey": "appt", "contactKey": "c1"}).decode(),
        **message,
    }
    activity = Activity(0, "m1", status, "", None, None, None, None, 5 * US)
    return Applied(replace(_MESSAGE, **row), Status.ACCEPTED, activity)


def test_ens_event_types_carry_filters() -> None:
    fmt = SfmcEnsFormat()
    names = fmt.event_types(_applied("delivered", sent_at=1))
    base = "TransactionalSendEvents.SmsDelivered"
    assert names == [
        base,
        subscribed_type(base, "appt", None),
        subscribed_type(base, None, "4000"),
        subscribed_type(base, "appt", "4000"),
    ]
    assert all(len(n) <= 64 for n in names)
    assert fmt.event_types(_applied("delivered", dialect="native")) == []
    assert fmt.event_types(_applied("processed")) == []
    assert fmt.matches([subscribed_type(base, "appt", None)], names[1])
    assert not fmt.matches([subscribed_type(base, "other", None)], names[1])


def test_ens_payloads() -> None:
    fmt = SfmcEnsFormat()
    (bounced,) = orjson.loads(fmt.payload("", _applied("expired", sent_at=1), "e", 0))
    assert bounced["eventCategoryType"] == "TransactionalSendEvents.SmsBounced"
    assert bounced["timestampUTC"] == 5000
    assert bounced["info"]["statusCode"] == "4501"
    assert bounced["info"]["subscriberKey"] == "c1"
    assert bounced["definitionKey"] == "appt"
    (not_sent,) = orjson.loads(fmt.payload("", _applied("cancelled"), "e", 0))
    assert not_sent["eventCategoryType"] == "TransactionalSendEvents.SmsNotSent"
    assert not_sent["info"]["statusCode"] == "37"
    assert "composite" not in not_sent
    (sent,) = orjson.loads(fmt.payload("", _applied("sent", sent_at=1), "e", 0))
    assert sent["info"] == {"to": "14155551234", "subscriberKey": "c1", "messageKey": "key-1"}
    assert fmt.is_success(204, b"")
    assert not fmt.is_success(205, b"")


def test_lamah_vocabulary() -> None:
    assert lamah.number("+218912345678") == "00218912345678"
    assert lamah.timestamp(1_705_314_602_900_000) == "2024-01-15T10:30:02Z"
    assert lamah.timestamp(None) is None
    expected = {
        "queued": "pending",
        "sent": "sent",
        "delivered": "delivered",
        "read": "delivered",
        "expired": "expired",
        "rejected": "rejected",
        "filtered": "failed",
        "cancelled": "failed",
    }
    for status, shown in expected.items():
        assert lamah.receiver_status(status) == shown
