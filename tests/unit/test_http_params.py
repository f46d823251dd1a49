"""Bounded integers, instants and the U+0000 checks every dialect's parameters go through."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.http.params import (
    INT64_MAX,
    MAX_UNIX_SECONDS,
    InvalidParam,
    Problem,
    parse_instant,
    parse_int,
)
from signalpost.http.validation import reject_nul_in_body


def _outcome(raw: str, low: int, high: int) -> int | InvalidParam:
    try:
        return parse_int(raw, "p", minimum=low, maximum=high)
    except InvalidParam as exc:
        return exc


@given(raw=st.text(max_size=40), low=st.integers(-100, 100), span=st.integers(0, INT64_MAX))
def test_parse_int_returns_a_value_in_bounds_or_refuses(raw: str, low: int, span: int) -> None:
    high = min(low + span, INT64_MAX)
    outcome = _outcome(raw, low, high)
    if isinstance(outcome, InvalidParam):
        assert outcome.name == "p"
        assert outcome.details == {"p": [outcome.text]}
    else:
        assert low <= outcome <= high
        assert outcome == int(raw)


@given(value=st.integers(min_value=-(2**70), max_value=2**70))
def test_parse_int_reads_every_integer_exactly_or_says_it_is_out_of_range(value: int) -> None:
    outcome = _outcome(str(value), 0, INT64_MAX)
    if isinstance(outcome, InvalidParam):
        assert outcome.problem is Problem.RANGE
        assert outcome.below == (value < 0)
        assert not 0 <= value <= INT64_MAX
    else:
        assert outcome == value


@pytest.mark.parametrize("raw", ["²", "١٢", "1e3", "0x10", "1.0", "", "-", "1 2"])
def test_parse_int_reads_ascii_digits_only(raw: str) -> None:
    with pytest.raises(InvalidParam) as caught:
        parse_int(raw, "page", minimum=1, maximum=10)
    assert caught.value.problem is Problem.INTEGER


def test_parse_int_refuses_a_huge_number_without_converting_it() -> None:
    with pytest.raises(InvalidParam) as caught:
        parse_int("9" * 100_000, "page", minimum=1, maximum=10)
    assert caught.value.problem is Problem.RANGE


@given(seconds=st.integers(0, MAX_UNIX_SECONDS), micros=st.integers(0, 999_999))
def test_parse_instant_reads_unix_seconds(seconds: int, micros: int) -> None:
    assert parse_instant(f"{seconds}.{micros:06d}", "t") == seconds * 1_000_000 + micros


@pytest.mark.parametrize(
    "raw", [str(MAX_UNIX_SECONDS + 1), "9" * 40, "1e400", "nan", "10000-01-01", "x\x00"]
)
def test_parse_instant_refuses_what_is_no_instant_up_to_the_year_9999(raw: str) -> None:
    with pytest.raises(InvalidParam):
        parse_instant(raw, "created_after")


@pytest.mark.parametrize(
    "raw", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00Z"]
)
def test_parse_instant_reads_iso_8601_at_both_ends(raw: str) -> None:
    assert abs(parse_instant(raw, "t")) < INT64_MAX


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_holds_nul(v) for v in value)


_JSON = st.recursive(
    st.text(alphabet=st.sampled_from("a\\u0\x00")),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
)


@given(data=_JSON)
def test_a_json_body_is_refused_exactly_when_some_text_holds_nul(data: object) -> None:
    body = orjson.dumps(data)  # U+0000 written as the escape \u0000
    if not _holds_nul(data):
        reject_nul_in_body(body)
        return
    with pytest.raises(InvalidParam) as caught:
        reject_nul_in_body(body)
    assert caught.value.problem is Problem.NUL


def test_a_backslash_before_u0000_is_text_not_nul() -> None:
    reject_nul_in_body(orjson.dumps({"text": "C:\\u0000"}))


def test_the_field_holding_nul_is_named() -> None:
    with pytest.raises(InvalidParam) as caught:
        reject_nul_in_body(orjson.dumps({"to": ["+1", "+2"], "meta": {"k": ["ok", "a\x00"]}}))
    assert caught.value.name == "meta.k[1]"
    assert caught.value.where == "body"
