"""Quiet hours: local times at a recipient's end when some messages must not arrive.

A window is given in the recipient's local time and may cross midnight (21:00-08:00).  A
number's time zones come from libphonenumber's geographic data; a number whose own zone is
unknown (most mobile numbers outside North America) takes its country's zones.  Where a
number may lie in several zones, the message waits until the window is open in all of them,
so nobody is woken up; if no such moment exists within a few steps (a country spanning more
hours than the window leaves open), it waits for the number's first zone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

__all__ = ["QuietHours", "next_open", "zones_for"]

_UNKNOWN = "Etc/Unknown"
_WINDOW = re.compile(r"(\d{2}:\d{2}(?::\d{2})?)\s*-\s*(\d{2}:\d{2}(?::\d{2})?)")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local times ``[start, end)`` when the window is shut; ``start == end`` shuts nothing."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"21:00-08:00"`` (seconds allowed); raises ValueError with a sentence otherwise."""
        match = _WINDOW.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM")
        try:
            return cls(time.fromisoformat(match[1]), time.fromisoformat(match[2]))
        except ValueError as exc:
            raise ValueError(f"quiet hours {text!r}: not a time of day") from exc

    def __str__(self) -> str:
        return f"{_text(self.start)}-{_text(self.end)}"

    def shut_at(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def opens_after(self, local: datetime) -> datetime:
        """When the window shut at ``local`` (an aware local time) opens again."""
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=local.tzinfo)


def _text(t: time) -> str:
    return f"{t:%H:%M:%S}" if t.second else f"{t:%H:%M}"


@lru_cache(maxsize=4096)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=65_536)
def zones_for(e164: str) -> tuple[str, ...]:
    """The time zones a number may be in (empty when nothing is known)."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ()
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != _UNKNOWN)
    if zones:
        return tuple(z for z in zones if _zone(z) is not None)
    region = phonenumbers.region_code_for_number(number) or (
        phonenumbers.region_code_for_country_code(number.country_code or 0)
    )
    return _zones_of_region(region) if region and region != "ZZ" else ()


@lru_cache(maxsize=512)
def _zones_of_region(region: str) -> tuple[str, ...]:
    """A country's zones, from its example fixed-line and mobile numbers."""
    zones: list[str] = []
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        for z in phone_timezone.time_zones_for_number(example):
            if z != _UNKNOWN and z not in zones and _zone(z) is not None:
                zones.append(z)
    return tuple(zones)


def next_open(at: datetime, zones: Sequence[str], window: QuietHours) -> datetime:
    """The earliest moment at or after ``at`` (aware) when ``window`` is open in every zone."""
    infos = [z for z in (_zone(name) for name in zones) if z is not None]
    if not infos:
        return at
    candidate = at
    for _ in range(2 * len(infos) + 2):
        moved = False
        for info in infos:
            local = candidate.astimezone(info)
            if window.shut_at(local.time()):
                candidate = window.opens_after(local).astimezone(UTC)
                moved = True
        if not moved:
            return candidate
    first = at.astimezone(infos[0])
    if not window.shut_at(first.time()):
        return at
    return window.opens_after(first).astimezone(UTC)
