"""Quiet hours in the recipient's local time, across midnight, DST and several zones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.domain.quiet_hours import QuietHours, next_open, zones_for

NIGHT = QuietHours.parse("21:00-08:00")


def test_parse_and_shut_at() -> None:
    assert str(NIGHT) == "21:00-08:00"
    assert NIGHT.shut_at(time(23, 30))
    assert NIGHT.shut_at(time(7, 59))
    assert not NIGHT.shut_at(time(8, 0))
    assert not NIGHT.shut_at(time(20, 59))
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch.shut_at(time(12, 0))
    assert not lunch.shut_at(time(13, 30))
    assert not QuietHours.parse("09:00-09:00").shut_at(time(9, 0))
    for bad in ("9pm to 8am", "25:00-08:00", "21:00+02:00-08:00", "21:00-08:00:00.5"):
        with pytest.raises(ValueError, match="quiet hours"):
            QuietHours.parse(bad)
    assert str(QuietHours.parse("21:00:30 - 08:00")) == "21:00:30-08:00"


def test_zones_for_numbers() -> None:
    assert zones_for("+14155551234") == ("America/Los_Angeles",)
    assert "Europe/London" in zones_for("+447700900123")  # mobile: the country's zones
    assert zones_for("not a number") == ()


def test_a_night_in_san_francisco_waits_for_eight() -> None:
    la = ZoneInfo("America/Los_Angeles")
    at = datetime(2026, 11, 30, 22, 15, tzinfo=la).astimezone(UTC)
    opens = next_open(at, zones_for("+14155551234"), NIGHT)
    assert opens.astimezone(la) == datetime(2026, 12, 1, 8, 0, tzinfo=la)
    day = datetime(2026, 11, 30, 12, 0, tzinfo=la).astimezone(UTC)
    assert next_open(day, ["America/Los_Angeles"], NIGHT) == day
    early = datetime(2026, 11, 30, 6, 0, tzinfo=la).astimezone(UTC)
    assert next_open(early, ["America/Los_Angeles"], NIGHT).astimezone(la).hour == 8


def test_several_zones_wait_for_all() -> None:
    at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # 08:00 New York, 05:00 Los Angeles
    opens = next_open(at, ["America/New_York", "America/Los_Angeles"], NIGHT)
    assert opens == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)  # 08:00 in Los Angeles


def test_dst_change_night() -> None:
    london = ZoneInfo("Europe/London")
    at = datetime(2026, 3, 28, 22, 0, tzinfo=london).astimezone(UTC)  # the clocks go forward
    opens = next_open(at, ["Europe/London"], NIGHT)
    assert opens.astimezone(london).replace(tzinfo=None) == datetime(2026, 3, 29, 8, 0)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    st.lists(
        st.sampled_from(["America/Los_Angeles", "America/Chicago", "America/New_York",
                         "Europe/Paris", "Asia/Kolkata", "Australia/Sydney"]),
        min_size=1, max_size=3,
    ),
    st.integers(0, 23),
    st.integers(0, 23),
)  # fmt: skip
def test_next_open_is_soon_and_open_in_the_first_zone(
    at: datetime, zones: list[str], start: int, end: int
) -> None:
    window = QuietHours(time(start), time(end))
    opens = next_open(at, zones, window)
    assert at <= opens <= at + timedelta(days=2)
    assert not window.shut_at(opens.astimezone(ZoneInfo(zones[0])).time()) or len(zones) > 1
