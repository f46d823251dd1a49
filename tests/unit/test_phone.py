"""Tests for phone number parsing and formatting."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from signalpost.domain.phone import (
    InvalidPhoneNumber,
    PhoneNumber,
    format_international,
    parse_phone,
    region_of,
)

NUMBER_TYPES = [
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    phonenumbers.PhoneNumberType.PAGER,
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.VOICEMAIL,
]


def test_e164_us_number() -> None:
    number = parse_phone("+14155551234")
    assert number == PhoneNumber(e164="+14155551234", region_code="US", country_code=1)
    assert number.international == "+1 415-555-1234"
    assert number.national == "(415) 555-1234"


@pytest.mark.parametrize("suffix", ["0001", "0002", "0003", "0004", "0005"])
def test_simulator_numbers_are_valid(suffix: str) -> None:
    number = parse_phone(f"+1415555{suffix}")
    assert number.e164 == f"+1415555{suffix}"
    assert number.region_code == "US"


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("14155551234", "US"),
        ("4155551234", "US"),
        ("(415) 555-1234", "US"),
        ("415.555.1234", "us"),
        (" +1 415 555 1234 ", None),
        ("+1-415-555-1234", None),
        ("001 415 555 1234", None),
        ("+1 (415) 555-1234", "LY"),
    ],
)
def test_accepted_formats(raw: str, region: str | None) -> None:
    assert parse_phone(raw, region).e164 == "+14155551234"


def test_double_zero_international_prefix() -> None:
    number = parse_phone("00218912345678")
    assert number.e164 == "+218912345678"
    assert number.region_code == "LY"
    assert number.country_code == 218


def test_double_zero_prefix_ignores_default_region() -> None:
    assert parse_phone("00218912345678", "US").e164 == "+218912345678"


def test_libyan_national_number() -> None:
    number = parse_phone("091-2345678", "LY")
    assert number.e164 == "+218912345678"
    assert number.national == "091-2345678"


def test_arabic_indic_digits() -> None:
    assert parse_phone("+٢١٨٩١٢٣٤٥٦٧٨").e164 == "+218912345678"


def test_non_geographic_number_has_no_region() -> None:
    number = parse_phone("+80012345678")
    assert number.region_code is None
    assert number.country_code == 800


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello",
        "14155551234",  # no country code and no default region
        "+1",
        "+1415555123",  # too short
        "+141555512345",  # too long
        "+10005551234",  # possible length, invalid area code
        "+999123456789",  # unassigned country code
        "+1 415 555 CALL",  # vanity letters
        "+1 415 555 1234 ext. 5",
        "+1 415 555 1234;x",
    ],
)
def test_invalid_numbers(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match="invalid phone number"):
        parse_phone(raw)


def test_invalid_number_message_is_clear() -> None:
    with pytest.raises(InvalidPhoneNumber) as info:
        parse_phone("4155551234")
    assert info.value.raw == "4155551234"
    assert "country code" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_invalid_numbers_raise_every_time() -> None:
    for _ in range(2):
        with pytest.raises(InvalidPhoneNumber):
            parse_phone("+1415555123")


def test_format_international() -> None:
    assert format_international("+218912345678") == "+218 91-2345678"


def test_region_of() -> None:
    assert region_of("+447400123456") == "GB"
    assert region_of("+14155551234") == "US"
    with pytest.raises(InvalidPhoneNumber):
        region_of("+1")


@given(
    st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)),
    st.sampled_from(NUMBER_TYPES),
)
def test_example_numbers_round_trip(region: str, number_type: int) -> None:
    example = phonenumbers.example_number_for_type(region, number_type)
    assume(example is not None)
    assert example is not None
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    number = parse_phone(e164)
    assert number.e164 == e164
    assert number.country_code == example.country_code
    # Regions sharing a country code (NANP, +44, +590, ...) resolve to the
    # region whose ranges match first, which may differ from ``region``.
    assert number.region_code in phonenumbers.region_codes_for_country_code(number.country_code)
    assert parse_phone(number.international) == number
    assert parse_phone(number.national, number.region_code) == number


@settings(max_examples=1000, deadline=None)
@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_fast_path_agrees_with_libphonenumber(text: str) -> None:
    """The E.164 fast path accepts exactly what the full parser accepts, with its region."""
    from signalpost.domain.phone import _fast_e164

    fast = _fast_e164(text)
    try:
        number = phonenumbers.parse(text)
        valid = phonenumbers.is_valid_number(number) and not number.italian_leading_zero
    except phonenumbers.NumberParseException:
        valid = False
    if fast is not None:
        assert valid, text
        assert fast.e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert fast.region_code == phonenumbers.region_code_for_number(number)
    elif valid:
        # valid numbers left to the full parser: non-geographic ones, and ones not written
        # canonically (a trunk prefix after the country code, which the parser strips)
        canonical = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        nongeo = phonenumbers.region_code_for_number(number) in (None, "001")
        assert nongeo or canonical != text, text


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
def test_fast_path_decides_example_numbers_like_the_full_parser(region: str) -> None:
    from signalpost.domain.phone import _fast_e164

    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        text = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        fast = _fast_e164(text)
        assert fast is not None or example.italian_leading_zero, text
        if fast is not None:
            assert fast.region_code == phonenumbers.region_code_for_number(example)
        assert parse_phone(text).e164 == text
