"""Tests for the rate card and price formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.domain.pricing import (
    InvalidRateCard,
    Rate,
    RateCard,
    UnknownChannelRate,
    format_price,
    micros_to_float,
    price,
)

CARD_DATA: dict[str, object] = {
    "currency": "USD",
    "default": {"sms": 0.0075, "whatsapp": "0.005"},
    "countries": {"US": {"sms": 0.0079}, "LY": {"sms": 0.045}, "gb": {"whatsapp": 1}},
}


@pytest.fixture
def card() -> RateCard:
    return RateCard(CARD_DATA)


def test_country_rate(card: RateCard) -> None:
    assert card.rate_for("US", "sms") == Rate(amount_micros=7900, currency="USD")
    assert card.rate_for("LY", "sms") == Rate(amount_micros=45000, currency="USD")


def test_lookup_is_case_insensitive(card: RateCard) -> None:
    assert card.rate_for("ly", "SMS").amount_micros == 45000
    assert card.rate_for("GB", "whatsapp").amount_micros == 1_000_000


def test_falls_back_to_default(card: RateCard) -> None:
    assert card.rate_for("FR", "sms").amount_micros == 7500
    assert card.rate_for(None, "sms").amount_micros == 7500
    assert card.rate_for("US", "whatsapp").amount_micros == 5000


def test_unknown_channel(card: RateCard) -> None:
    with pytest.raises(UnknownChannelRate, match="rcs") as info:
        card.rate_for("US", "rcs")
    assert info.value.channel == "rcs"
    assert isinstance(info.value, ValueError)


def test_exact_conversion() -> None:
    card = RateCard({"currency": "eur", "default": {"sms": 0.1, "rcs": "0.000001", "x": 2}})
    assert card.currency == "EUR"
    assert card.rate_for(None, "sms").amount_micros == 100_000
    assert card.rate_for(None, "rcs").amount_micros == 1
    assert card.rate_for(None, "x").amount_micros == 2_000_000


@pytest.mark.parametrize(
    "data",
    [
        {"default": {"sms": 0.01}},
        {"currency": "DOLLARS", "default": {}},
        {"currency": "USD", "default": {"sms": "abc"}},
        {"currency": "USD", "default": {"sms": -0.01}},
        {"currency": "USD", "default": {"sms": "NaN"}},
        {"currency": "USD", "default": {"sms": float("inf")}},
        {"currency": "USD", "default": {"sms": True}},
        {"currency": "USD", "default": {"sms": None}},
        {"currency": "USD", "default": {"sms": "0.0000001"}},
        {"currency": "USD", "default": ["sms"]},
        {"currency": "USD", "countries": {"US": 0.01}},
    ],
)
def test_invalid_cards(data: dict[str, object]) -> None:
    with pytest.raises(InvalidRateCard):
        RateCard(data)


def test_with_overrides_merges(card: RateCard) -> None:
    merged = card.with_overrides(
        {"default": {"rcs": 0.004}, "countries": {"US": {"whatsapp": 0.002}, "NG": {"sms": 0.03}}}
    )
    assert merged.rate_for("US", "sms").amount_micros == 7900
    assert merged.rate_for("US", "whatsapp").amount_micros == 2000
    assert merged.rate_for("NG", "sms").amount_micros == 30000
    assert merged.rate_for("LY", "rcs").amount_micros == 4000
    assert merged.rate_for("FR", "sms").amount_micros == 7500
    with pytest.raises(UnknownChannelRate):
        card.rate_for("US", "rcs")


def test_with_overrides_replaces(card: RateCard) -> None:
    merged = card.with_overrides({"countries": {"us": {"sms": "0.01"}}})
    assert merged.rate_for("US", "sms").amount_micros == 10000
    assert card.rate_for("US", "sms").amount_micros == 7900


def test_with_overrides_currency_must_match(card: RateCard) -> None:
    assert card.with_overrides({"currency": "usd"}).currency == "USD"
    with pytest.raises(InvalidRateCard, match="USD"):
        card.with_overrides({"currency": "EUR", "default": {"sms": 1}})


def test_to_mapping_round_trip(card: RateCard) -> None:
    data = card.to_mapping()
    assert data["default"] == {"sms": "0.0075", "whatsapp": "0.005"}
    assert RateCard(data).to_mapping() == data


def test_shipped_default_card() -> None:
    card = RateCard.default()
    assert card is RateCard.default()
    assert card.currency == "USD"
    assert card.rate_for("US", "sms").amount_micros == 7900
    assert card.rate_for("LY", "sms").amount_micros == 45000
    assert card.rate_for("DE", "sms").amount_micros == 85000
    for channel in ("sms", "whatsapp", "rcs"):
        assert card.rate_for("ZZ", channel).amount_micros > 0
    countries = card.to_mapping()["countries"]
    assert isinstance(countries, dict)
    assert len(countries) >= 25


def test_price_sms_per_segment(card: RateCard) -> None:
    assert price(card, "LY", "sms", 3) == 135000
    assert price(card, "LY", "sms", 0) == 0


def test_price_other_channels_per_message(card: RateCard) -> None:
    assert price(card, "US", "whatsapp", 1) == 5000
    assert price(card, "US", "whatsapp", 5) == 5000
    assert price(card, "US", "WhatsApp", 0) == 5000


def test_price_rejects_negative_segments(card: RateCard) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        price(card, "US", "sms", -1)


@pytest.mark.parametrize(
    ("micros", "places", "expected"),
    [
        (45000, 4, "0.0450"),
        (7900, 4, "0.0079"),
        (0, 4, "0.0000"),
        (50, 4, "0.0000"),  # half to even (0)
        (150, 4, "0.0002"),  # half to even (2)
        (250, 4, "0.0002"),
        (251, 4, "0.0003"),
        (-150, 4, "-0.0002"),
        (-1, 4, "0.0000"),
        (1_234_567_891, 2, "1234.57"),
        (1_500_000, 0, "2"),
        (2_500_000, 0, "2"),
        (1, 8, "0.00000100"),
    ],
)
def test_format_price(micros: int, places: int, expected: str) -> None:
    assert format_price(micros, places) == expected


def test_format_price_rejects_negative_places() -> None:
    with pytest.raises(ValueError, match="places"):
        format_price(1, -1)


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(0, 9))
def test_format_price_matches_decimal(micros: int, places: int) -> None:
    exact = Decimal(micros).scaleb(-6)
    expected = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    assert Decimal(format_price(micros, places)) == expected


def test_micros_to_float() -> None:
    assert micros_to_float(45000) == pytest.approx(0.045)
    assert micros_to_float(0) == 0.0
