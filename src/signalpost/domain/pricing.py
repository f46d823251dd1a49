"""Rate card and message pricing.

Money is held as integer micro-units (10^-6 of the currency) so that sums of
many small prices never pick up floating-point error. Rate cards are written
in whole currency units (``0.0079``) and converted exactly through
:class:`decimal.Decimal`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from importlib import resources
from types import MappingProxyType

__all__ = [
    "InvalidRateCard",
    "Rate",
    "RateCard",
    "UnknownChannelRate",
    "format_price",
    "micros_to_float",
    "price",
]

MICROS_PER_UNIT = 1_000_000
# Channels billed per SMS segment; every other channel bills one unit per message.
_PER_SEGMENT_CHANNELS = frozenset({"sms"})

_ChannelRates = Mapping[str, int]


class InvalidRateCard(ValueError):
    """Raised when a rate card mapping is malformed."""


class UnknownChannelRate(ValueError):
    """Raised when neither the country nor the card default prices a channel."""

    def __init__(self, region_code: str | None, channel: str) -> None:
        super().__init__(f"no rate for channel {channel!r} (region {region_code or 'unknown'})")
        self.region_code = region_code
        self.channel = channel


@dataclass(frozen=True, slots=True)
class Rate:
    """The price of one billable unit, in micro-units of ``currency``."""

    amount_micros: int
    currency: str


def _to_micros(value: object, where: str) -> int:
    """Convert a currency-unit amount (float, str or int) to exact micros."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidRateCard(f"{where}: expected a number, got {value!r}")
    try:
        amount = Decimal(str(value).strip()) * MICROS_PER_UNIT
    except InvalidOperation as exc:
        raise InvalidRateCard(f"{where}: {value!r} is not a number") from exc
    if not amount.is_finite() or amount < 0:
        raise InvalidRateCard(f"{where}: {value!r} must be a finite, non-negative amount")
    if amount != amount.to_integral_value():
        raise InvalidRateCard(f"{where}: {value!r} is finer than one micro-unit")
    return int(amount)


def _from_micros(micros: int) -> str:
    """Render micros as a plain currency-unit string without trailing zeros."""
    text = format(Decimal(micros).scaleb(-6), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _as_mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidRateCard(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _parse_channels(value: object, where: str) -> dict[str, int]:
    channels = _as_mapping(value, where)
    return {
        str(channel).lower(): _to_micros(amount, f"{where}.{channel}")
        for channel, amount in channels.items()
    }


def _parse_currency(value: object) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise InvalidRateCard(f"currency: expected an ISO 4217 code, got {value!r}")
    return value.upper()


def _merge(base: Mapping[str, int], extra: Mapping[str, int]) -> MappingProxyType[str, int]:
    return MappingProxyType({**base, **extra})


class RateCard:
    """Per-country, per-channel prices with per-channel defaults.

    Built from a mapping such as::

        {"currency": "USD",
         "default": {"sms": 0.0075, "whatsapp": 0.005},
         "countries": {"US": {"sms": 0.0079}, "LY": {"sms": 0.045}}}

    Region codes are matched case-insensitively, as are channel names.
    Instances are immutable; :meth:`with_overrides` returns a new card.
    """

    __slots__ = ("_countries", "_currency", "_defaults", "_prices")

    def __init__(self, mapping: Mapping[str, object]) -> None:
        data = _as_mapping(mapping, "rate card")
        self._currency = _parse_currency(data.get("currency"))
        self._defaults: _ChannelRates = MappingProxyType(
            _parse_channels(data.get("default", {}), "default")
        )
        self._prices: dict[tuple[str | None, str, int], int] = {}
        countries = _as_mapping(data.get("countries", {}), "countries")
        self._countries: Mapping[str, _ChannelRates] = MappingProxyType(
            {
                str(region).upper(): MappingProxyType(_parse_channels(rates, f"countries.{region}"))
                for region, rates in countries.items()
            }
        )

    @classmethod
    def default(cls) -> RateCard:
        """Return the rate card shipped with Signalpost (``domain/rates.json``)."""
        return _shipped_card()

    @property
    def currency(self) -> str:
        """ISO 4217 currency code all rates are expressed in."""
        return self._currency

    def with_overrides(self, overrides: Mapping[str, object]) -> RateCard:
        """Return a new card with ``overrides`` merged per country and channel.

        ``overrides`` has the same shape as the constructor mapping; its
        ``currency``, when given, must match this card's.
        """
        data = _as_mapping(overrides, "overrides")
        if "currency" in data and _parse_currency(data["currency"]) != self._currency:
            raise InvalidRateCard(f"overrides must be in {self._currency}, got {data['currency']}")
        extra = RateCard({**data, "currency": self._currency})
        regions = sorted(self._countries.keys() | extra._countries.keys())
        countries = {
            region: _merge(self._countries.get(region, {}), extra._countries.get(region, {}))
            for region in regions
        }
        return self._from_parts(_merge(self._defaults, extra._defaults), countries)

    def _from_parts(
        self, defaults: _ChannelRates, countries: Mapping[str, _ChannelRates]
    ) -> RateCard:
        """Return a card in this card's currency from already-parsed parts."""
        card = RateCard.__new__(RateCard)
        card._currency = self._currency
        card._defaults = defaults
        card._countries = MappingProxyType(dict(countries))
        card._prices = {}
        return card

    def rate_for(self, region_code: str | None, channel: str) -> Rate:
        """Return the rate for ``channel`` in ``region_code``.

        Falls back to the card default for the channel when the region is
        unknown or has no rate for it; raises :class:`UnknownChannelRate` when
        there is no default either.
        """
        key = channel.lower()
        country = self._countries.get(region_code.upper(), {}) if region_code else {}
        amount = country.get(key, self._defaults.get(key))
        if amount is None:
            raise UnknownChannelRate(region_code, channel)
        return Rate(amount_micros=amount, currency=self._currency)

    def to_mapping(self) -> dict[str, object]:
        """Return the card in constructor form, amounts as exact decimal strings."""
        return {
            "currency": self._currency,
            "default": {ch: _from_micros(v) for ch, v in self._defaults.items()},
            "countries": {
                region: {ch: _from_micros(v) for ch, v in rates.items()}
                for region, rates in self._countries.items()
            },
        }

    def __repr__(self) -> str:
        return (
            f"RateCard(currency={self._currency!r}, channels={sorted(self._defaults)!r}, "
            f"countries={len(self._countries)})"
        )


@cache
def _shipped_card() -> RateCard:
    text = (
        resources.files(__package__ or "signalpost.domain")
        .joinpath("rates.json")
        .read_text(encoding="utf-8")
    )
    return RateCard(json.loads(text))


def price(card: RateCard, region_code: str | None, channel: str, segments: int) -> int:
    """Return the price in micros of one message.

    SMS is billed per segment; other channels (WhatsApp, RCS, ...) bill one
    unit per message whatever its length.
    """
    key = (region_code, channel, segments)
    known = card._prices.get(key)  # a send prices the same few combinations again and again
    if known is not None:
        return known
    if segments < 0:
        raise ValueError(f"segments must be non-negative, got {segments}")
    rate = card.rate_for(region_code, channel)
    units = segments if channel.lower() in _PER_SEGMENT_CHANNELS else 1
    amount = rate.amount_micros * units
    if len(card._prices) < _PRICES_KEPT:
        card._prices[key] = amount
    return amount


_PRICES_KEPT = 4096
"""Prices a card remembers (region x channel x segments: a few hundred in practice)."""


@lru_cache(maxsize=4096)  # few distinct prices; responses format the same ones again
def format_price(micros: int, places: int = 4) -> str:
    """Format micros as currency units with ``places`` decimals (round half-even).

    ``format_price(45000) == "0.0450"``.
    """
    if places < 0:
        raise ValueError(f"places must be non-negative, got {places}")
    scaled = _round_half_even(micros, places)
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _round_half_even(micros: int, places: int) -> int:
    """Return ``micros`` expressed in units of 10^-places, rounded half-even."""
    if places >= 6:
        factor: int = 10 ** (places - 6)
        return micros * factor
    divisor: int = 10 ** (6 - places)
    quotient, remainder = divmod(micros, divisor)
    twice = 2 * remainder
    if twice > divisor or (twice == divisor and quotient % 2 == 1):
        quotient += 1
    return quotient


def micros_to_float(micros: int) -> float:
    """Return micros as a float amount in currency units (for display/JSON only)."""
    return micros / MICROS_PER_UNIT
