"""Tests for GSM-7 / UCS-2 detection, segment counting and splitting."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.domain.encoding import (
    Encoding,
    SegmentInfo,
    analyze,
    decode_gsm7,
    encode_gsm7,
    is_gsm7,
    split,
)

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"

gsm_text = st.text(alphabet=GSM_BASIC + GSM_EXTENSION, max_size=700)
ucs2_text = st.text(
    alphabet=st.sampled_from([*"abc €{", "é", "ж", "ع", "中", "😀", "𝄞", "👍"]),
    max_size=400,
).map(lambda text: text + "ж")
any_text = st.text(max_size=500)


def gsm_units(text: str) -> int:
    return sum(2 if ch in GSM_EXTENSION else 1 for ch in text)


def ucs2_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_gsm_alphabet_size() -> None:
    assert len(GSM_BASIC) == 127
    assert is_gsm7(GSM_BASIC + GSM_EXTENSION)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (159, 1), (160, 1), (161, 2), (305, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm_segment_boundaries(length: int, segments: int) -> None:
    info = analyze("a" * length)
    assert info.encoding is Encoding.GSM7
    assert info.segments == segments
    assert info.units == length


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_segment_boundaries(length: int, segments: int) -> None:
    info = analyze("ж" * length)
    assert info.encoding is Encoding.UCS2
    assert info.segments == segments
    assert info.units == length


def test_single_part_info() -> None:
    assert analyze("Hello") == SegmentInfo(
        encoding=Encoding.GSM7, segments=1, units=5, per_segment=160, remaining=155
    )


def test_multi_part_info() -> None:
    assert analyze("a" * 161) == SegmentInfo(
        encoding=Encoding.GSM7, segments=2, units=161, per_segment=153, remaining=145
    )


def test_empty_text_has_zero_segments() -> None:
    assert analyze("") == SegmentInfo(
        encoding=Encoding.GSM7, segments=0, units=0, per_segment=160, remaining=160
    )
    assert split("") == []


@pytest.mark.parametrize("char", list(GSM_EXTENSION))
def test_extension_chars_count_two_septets(char: str) -> None:
    info = analyze(char)
    assert info.encoding is Encoding.GSM7
    assert info.units == 2


def test_eighty_euros_fill_one_segment() -> None:
    assert analyze("€" * 80).segments == 1
    assert analyze("€" * 80 + "a").segments == 2


def test_extension_char_not_split_across_parts() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = split(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    info = analyze(text)
    assert info.segments == 2
    assert info.units == 164
    assert info.remaining == 153 - 12


def test_straddling_extension_adds_a_segment() -> None:
    # 306 septets would fit in two parts by plain division, but the euro sign
    # cannot straddle the boundary at 153, so a third part is needed.
    text = "a" * 152 + "€" + "b" * 152
    assert gsm_units(text) == 306
    assert analyze(text).segments == 3
    assert split(text) == ["a" * 152, "€" + "b" * 151, "b"]


def test_one_emoji_switches_to_ucs2() -> None:
    info = analyze("Hello 😀")
    assert info.encoding is Encoding.UCS2
    assert info.units == 8
    assert analyze("😀").units == 2


def test_surrogate_pair_not_split_across_parts() -> None:
    text = "ж" * 66 + "😀" + "ж" * 10
    assert split(text) == ["ж" * 66, "😀" + "ж" * 10]
    assert analyze(text).segments == 2


def test_thirty_five_emoji_fit_one_segment() -> None:
    assert analyze("😀" * 35).segments == 1
    assert analyze("😀" * 36).segments == 2


def test_non_gsm_characters() -> None:
    assert not is_gsm7("ç")
    assert not is_gsm7("`")
    assert not is_gsm7("\x1b")
    assert is_gsm7("")


def test_encode_known_vectors() -> None:
    assert encode_gsm7("@£$") == b"\x00\x01\x02"
    assert encode_gsm7("A€") == b"\x41\x1b\x65"
    assert encode_gsm7("{}") == b"\x1b\x28\x1b\x29"


def test_encode_rejects_non_gsm() -> None:
    with pytest.raises(ValueError, match="not in the GSM-7 alphabet"):
        encode_gsm7("hi 😀")


def test_decode_rejects_high_bytes() -> None:
    with pytest.raises(ValueError, match="0x00-0x7F"):
        decode_gsm7(b"\x80")


def test_decode_lenient_escapes() -> None:
    assert decode_gsm7(b"\x1b\x41") == "A"
    assert decode_gsm7(b"a\x1b") == "a "
    assert decode_gsm7(b"\x1b\x1b") == " "


@given(any_text)
def test_split_round_trip(text: str) -> None:
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == analyze(text).segments
    assert all(parts)


@given(gsm_text)
def test_gsm_parts_within_limits(text: str) -> None:
    info = analyze(text)
    parts = split(text)
    assert info.encoding is Encoding.GSM7
    assert info.units == gsm_units(text)
    limit = 160 if len(parts) == 1 else 153
    assert all(gsm_units(part) <= limit for part in parts)
    if parts:
        assert info.remaining == info.per_segment - gsm_units(parts[-1])


@given(ucs2_text)
def test_ucs2_parts_within_limits(text: str) -> None:
    info = analyze(text)
    parts = split(text)
    assert info.encoding is Encoding.UCS2
    assert info.units == ucs2_units(text)
    limit = 70 if len(parts) == 1 else 67
    assert all(ucs2_units(part) <= limit for part in parts)
    assert info.remaining == info.per_segment - ucs2_units(parts[-1])


@given(gsm_text)
def test_parts_are_greedy(text: str) -> None:
    parts = split(text)
    for part, following in pairwise(parts):
        assert gsm_units(part) + gsm_units(following[0]) > 153


@given(gsm_text)
def test_gsm7_round_trip(text: str) -> None:
    encoded = encode_gsm7(text)
    assert len(encoded) == gsm_units(text)
    assert decode_gsm7(encoded) == text


@given(any_text)
def test_is_gsm7_matches_encodability(text: str) -> None:
    try:
        encode_gsm7(text)
    except ValueError:
        assert not is_gsm7(text)
    else:
        assert is_gsm7(text)
