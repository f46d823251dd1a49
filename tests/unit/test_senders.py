"""Sender IDs per destination country, and sticky picks from a number pool."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.domain.senders import (
    InvalidSenderRules,
    PoolSender,
    SenderKind,
    SenderRules,
    check_sender,
    kind_of,
    pick_sender,
)

RULES = SenderRules.shipped()


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("+14155550100", SenderKind.PHONE_NUMBER),
        ("12345", SenderKind.SHORT_CODE),
        ("Acme", SenderKind.ALPHANUMERIC),
        ("Acme 24", SenderKind.ALPHANUMERIC),
        ("1234567890123", None),  # too long for a short code, no "+"
        (" Acme", None),
        ("Acme!", None),
        ("", None),
    ],
)
def test_kind_of(sender: str, kind: SenderKind | None) -> None:
    assert kind_of(sender) is kind


def test_alphanumeric_to_the_us_names_the_rule() -> None:
    violation = check_sender(RULES, "ACMECORPORATION21", "US")
    assert violation is not None
    assert violation.code == "sender_alphanumeric_not_allowed"
    assert "US" in violation.message
    assert check_sender(RULES, "+14155550100", "US") is None


def test_length_and_registration_rules() -> None:
    too_long = check_sender(RULES, "ACMECORPORATION", "GB")
    assert too_long is not None
    assert too_long.code == "sender_too_long"
    assert check_sender(RULES, "Acme", "GB") is None
    unregistered = check_sender(RULES, "ACMEIN", "IN")
    assert unregistered is not None
    assert unregistered.code == "sender_not_registered"
    assert check_sender(RULES, "ACMEIN", "IN", registered={"ACMEIN"}) is None
    assert check_sender(RULES, "Acme!", None) is not None


def test_overrides_merge_field_by_field() -> None:
    rules = RULES.with_overrides(
        {"default": {"max_alphanumeric_length": 9}, "countries": {"us": {"alphanumeric": True}}}
    )
    assert rules.rule_for("US").alphanumeric
    assert rules.rule_for("FR").max_alphanumeric_length == 9
    assert rules.rule_for("IN").registration_required  # shipped rules kept
    assert RULES.rule_for("FR").max_alphanumeric_length == 11  # the original is unchanged


@pytest.mark.parametrize(
    "bad",
    [
        {"default": []},
        {"countries": {"US": {"alphanumeric": "no"}}},
        {"countries": {"US": {"colour": True}}},
        {"default": {"max_alphanumeric_length": 12}},
    ],
)
def test_invalid_rules_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidSenderRules):
        RULES.with_overrides(bad)


POOL = [
    PoolSender("+14155550100", "US"),
    PoolSender("+14155550101", "US"),
    PoolSender("+447700900100", "GB"),
    PoolSender("+447700900101", "GB"),
]

recipients = st.integers(min_value=2_000_000, max_value=9_999_999).map(lambda n: f"+1415{n}")


@given(recipients)
def test_pool_picks_are_sticky_and_local(recipient: str) -> None:
    first = pick_sender(POOL, recipient, "US")
    assert first in {"+14155550100", "+14155550101"}
    assert pick_sender(list(reversed(POOL)), recipient, "US") == first
    # adding a sender moves a recipient only to the new sender
    grown = pick_sender([*POOL, PoolSender("+14155550102", "US")], recipient, "US")
    assert grown in {first, "+14155550102"}


def test_pool_falls_back_when_no_sender_matches_the_country() -> None:
    assert pick_sender(POOL, "+33612345678", "FR") in {p.sender for p in POOL}
    assert pick_sender([], "+33612345678", "FR") is None
    spread = {pick_sender(POOL, f"+1415555{n:04d}", "US") for n in range(200)}
    assert spread == {"+14155550100", "+14155550101"}
