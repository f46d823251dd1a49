"""The MailerSend dialect's pure parts: id mapping, status mapping, filters, error wording."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from signalpost.api.laravel import LARAVEL_9
from signalpost.api.mailersend import ids, wire
from signalpost.api.mailersend.schemas import SmsIn
from signalpost.domain.lifecycle import Status


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_send_ids_map_both_ways(seconds: int) -> None:
    oid, batch = ids.new_send_id(seconds)
    assert len(oid) == 24
    assert int(oid[:8], 16) == seconds
    assert ids.object_id(batch) == oid
    assert ids.batch_of(oid) == batch
    assert ids.batch_of(oid.upper()) == batch


@given(st.uuids())
def test_batches_of_other_dialects_map_both_ways(value: uuid.UUID) -> None:
    shown = ids.object_id(str(value))
    assert len(shown) in (24, 32)
    assert ids.batch_of(shown) == str(value)


@given(st.uuids())
def test_short_ids_map_both_ways(value: uuid.UUID) -> None:
    assert ids.uuid_of(ids.short_id(str(value))) == str(value)
    assert ids.uuid_of(str(value)) == str(value)


@pytest.mark.parametrize("raw", ["", "nope", "7z3m5jgrogdpyo6n", "g" * 24, "0" * 31])
def test_malformed_ids_name_nothing(raw: str) -> None:
    assert ids.batch_of(raw) is None
    assert ids.uuid_of(raw) is None


def test_every_canonical_status_maps_to_a_mailersend_one() -> None:
    expected = {
        Status.ACCEPTED: "processed",
        Status.SCHEDULED: "queued",
        Status.QUEUED: "queued",
        Status.PROCESSED: "queued",
        Status.ROUTED: "queued",
        Status.SENT: "sent",
        Status.DELIVERED: "delivered",
        Status.READ: "delivered",
    }
    for status in Status:
        if status == Status.RECEIVED:
            continue
        shown = wire.status(status)
        assert shown == expected.get(status, "failed")
        assert shown in wire.STATUSES
        assert (wire.error_type(status) is None) == (shown != "failed")


def test_error_types_and_descriptions() -> None:
    assert wire.error_type(Status.FILTERED) == "opted_out"
    assert wire.error_type(Status.EXPIRED) == "expired"
    assert wire.error_description(Status.FAILED, "Subscriber unreachable") == (
        "Subscriber unreachable"
    )
    assert wire.error_description(Status.REJECTED, None)
    assert wire.error_description(Status.DELIVERED, None) is None


def test_activity_status_filters_cover_what_they_show() -> None:
    assert set(wire.canonical_activity_statuses(())) == set(wire.ACTIVITY_STATUSES)
    for shown in wire.STATUSES:
        behind = wire.canonical_activity_statuses((shown,))
        assert behind
        assert {wire.status(s) for s in behind} == {shown}
    assert Status.PROCESSED not in wire.ACTIVITY_STATUSES  # would repeat "queued"


@pytest.mark.parametrize(
    ("comparer", "value", "text", "expected"),
    [
        ("equal", "stop", " STOP ", True),
        ("not-equal", "stop", "stop now", True),
        ("contains", "help", "I need HELP", True),
        ("not-contains", "help", "I need HELP", False),
        ("starts-with", "yes", "Yes please", True),
        ("not-starts-with", "yes", "Yes please", False),
        ("ends-with", "bye", "good BYE", True),
        ("not-ends-with", "bye", "goodbye now", True),
    ],
)
def test_inbound_filters(comparer: str, value: str, text: str, expected: bool) -> None:
    assert wire.passes(comparer, value, text) is expected


def test_subscriptions_are_qualified_by_number() -> None:
    stored = wire.subscribed("sms.delivered", "+18332647501")
    assert stored == "sms.delivered#+18332647501"
    assert wire.event_name(stored) == "sms.delivered"
    assert wire.event_name("sms.sent") == "sms.sent"


def test_validation_errors_read_like_laravel() -> None:
    with pytest.raises(ValidationError) as info:
        SmsIn.model_validate({"to": ["+1"] * 51, "text": "x" * 2049, "personalization": 3})
    errors = LARAVEL_9.pydantic_errors(info.value)
    assert errors["from"] == ["The from field is required."]
    assert errors["to"] == ["The to may not have more than 50 items."]
    assert errors["text"] == ["The text may not be greater than 2048 characters."]
    assert errors["personalization"] == ["The personalization must be an array."]
    with pytest.raises(ValidationError) as typed:
        SmsIn.model_validate({"from": 1, "to": [2], "text": ""})
    errors = LARAVEL_9.pydantic_errors(typed.value)
    assert errors["from"] == ["The from must be a string."]
    assert errors["to.0"] == ["The to.0 must be a string."]
    assert errors["text"] == ["The text field is required."]
