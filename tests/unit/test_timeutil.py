"""Timestamps as text: the fast formatter agrees with the standard library everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from signalpost.timeutil import from_datetime, iso, parse_iso

# From year 1 to year 9999, in microseconds since the Unix epoch.
MICROS = st.integers(min_value=-62_135_596_800_000_000, max_value=253_402_300_799_999_999)


def _reference(us: int) -> str:
    seconds, fraction = divmod(us, 1_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=fraction)
    return moment.isoformat(timespec="microseconds")


@given(MICROS)
def test_iso_matches_the_standard_library(us: int) -> None:
    expected = _reference(us)
    assert iso(us, z=False) == expected
    assert iso(us) == expected.replace("+00:00", "Z")


@given(MICROS)
def test_iso_round_trips(us: int) -> None:
    text = iso(us)
    assert text is not None
    assert parse_iso(text) == us


def test_known_values() -> None:
    assert iso(None) is None
    assert iso(0) == "1970-01-01T00:00:00.000000Z"
    assert iso(1_773_264_350_171_652) == "2026-03-11T21:25:50.171652Z"
    assert iso(-1) == "1969-12-31T23:59:59.999999Z"
    assert from_datetime(datetime(2026, 3, 11, 21, 25, 50, 171652, UTC)) == 1_773_264_350_171_652


@given(MICROS)
def test_datetimes_round_trip_exactly(us: int) -> None:
    from signalpost.timeutil import to_datetime

    assert from_datetime(to_datetime(us)) == us
