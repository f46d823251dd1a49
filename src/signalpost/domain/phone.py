"""Phone number parsing and formatting on top of libphonenumber (``phonenumbers``).

Parsing is on the hot path of every send, so results (valid and invalid alike)
are memoised in a bounded LRU cache keyed on the raw input and default region.
Input already in E.164 form takes a fast path that applies libphonenumber's own
validity and region rules to its own metadata with precompiled patterns (about a
tenth of the cost of a full parse); anything else, and every rejection, goes
through ``phonenumbers.parse`` so error reasons stay exact.  Display formats are
computed on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from signalpost.values import quick_init

__all__ = [
    "InvalidPhoneNumber",
    "PhoneNumber",
    "format_international",
    "parse_phone",
    "region_of",
]

# Digits (any script), "+", whitespace and the usual visual separators.
_ALLOWED = re.compile(r"[\d\s+()./\-]+")
# Region codes libphonenumber uses for numbers that belong to no territory.
_NON_GEOGRAPHIC = frozenset({"001", "ZZ"})

_PARSE_ERRORS: dict[int, str] = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: (
        "missing or unknown country code (use +<country code> or give a default region)"
    ),
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international code",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}


class InvalidPhoneNumber(ValueError):
    """Raised when a string is not a possible and valid phone number."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"invalid phone number {raw!r}: {reason}")
        self.raw = raw
        self.reason = reason


@quick_init
@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A validated phone number in its canonical and display forms."""

    e164: str
    region_code: str | None
    country_code: int

    @property
    def international(self) -> str:
        """International display form, e.g. ``+1 415-555-1234``."""
        return _display(self.e164)[0]

    @property
    def national(self) -> str:
        """National display form, e.g. ``(415) 555-1234``."""
        return _display(self.e164)[1]


@lru_cache(maxsize=65536)
def _display(e164: str) -> tuple[str, str]:
    number = phonenumbers.parse(e164)
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
    )


def _normalise(raw: str) -> str:
    """Strip surrounding space and turn a leading ``00`` into ``+``."""
    text = raw.strip()
    if text.startswith("00"):
        return "+" + text[2:]
    return text


def _to_phone_number(number: phonenumbers.PhoneNumber) -> PhoneNumber:
    region = phonenumbers.region_code_for_number(number)
    return PhoneNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        region_code=None if region is None or region in _NON_GEOGRAPHIC else region,
        country_code=int(number.country_code or 0),
    )


def _problem(number: phonenumbers.PhoneNumber) -> str | None:
    """Return why a parsed number is unacceptable, or None if it is fine."""
    if number.extension:
        return "extensions are not supported"
    if not phonenumbers.is_possible_number(number):
        return "not a possible number (wrong length)"
    if not phonenumbers.is_valid_number(number):
        return "not a valid number for its country"
    return None


@lru_cache(maxsize=65536)
def _parse_cached(raw: str, default_region: str | None) -> PhoneNumber | str:
    """Parse ``raw``; return the number, or a reason string if it is invalid."""
    text = _normalise(raw)
    if not text:
        return "empty"
    if _E164.fullmatch(text):
        fast = _fast_e164(text)
        if fast is not None:
            return fast
    if not _ALLOWED.fullmatch(text):
        return "only digits, '+', spaces, dashes, dots, slashes and parentheses are allowed"
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        return _PARSE_ERRORS.get(exc.error_type, "not a phone number")
    problem = _problem(number)
    return problem if problem is not None else _to_phone_number(number)


_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_REGIONS_OF = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
# A number is valid when any of these matches, so the order only decides how soon the
# answer comes: the types nearly every number is come first.
_TYPE_DESCS = (
    "mobile",
    "fixed_line",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_Desc = tuple[frozenset[int], re.Pattern[str]] | None


def _compile_desc(desc: object) -> _Desc:
    pattern = getattr(desc, "national_number_pattern", None)
    if desc is None or not pattern:
        return None
    lengths = frozenset(getattr(desc, "possible_length", ()) or ())
    return lengths, re.compile(pattern)


def _matches(number: str, desc: _Desc) -> bool:
    """libphonenumber's ``_is_number_matching_desc`` with a precompiled pattern."""
    if desc is None:
        return False
    lengths, pattern = desc
    if lengths and len(number) not in lengths:
        return False
    return pattern.fullmatch(number) is not None


_Rules = tuple[re.Pattern[str] | None, _Desc, tuple[tuple[frozenset[int], re.Pattern[str]], ...]]


@lru_cache(maxsize=512)
def _region_rules(region: str) -> _Rules | None:
    """Leading-digits pattern, general description and type descriptions of a region (the
    types it has: a missing one matches no number)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    if metadata is None:
        return None
    leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
    compiled = (_compile_desc(getattr(metadata, name, None)) for name in _TYPE_DESCS)
    types = tuple(desc for desc in compiled if desc is not None)
    return leading, _compile_desc(metadata.general_desc), types


def _of_a_type(number: str, rules: _Rules) -> bool:
    """Whether ``number`` fits the region's general description and one of its types."""
    if not _matches(number, rules[1]):
        return False
    size = len(number)
    for lengths, pattern in rules[2]:
        if (not lengths or size in lengths) and pattern.fullmatch(number) is not None:
            return True
    return False


def _valid_for(national: str, region: str) -> bool:
    rules = _region_rules(region)
    return rules is not None and _of_a_type(national, rules)


def _fast_e164(text: str) -> PhoneNumber | None:
    """A valid number from E.164 text, or None to let the full parser decide."""
    digits = text[1:]
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        regions = _REGIONS_OF.get(country_code)
        if regions:
            break
    else:
        return None
    national = digits[size:]
    if not national or national[0] == "0" or regions[0] in _NON_GEOGRAPHIC:
        return None  # leading zeros and non-geographic numbers: the full parser knows
    region: str | None
    if len(regions) == 1:
        region, valid = regions[0], False
    else:
        region, valid = _region_from_list(national, regions)
    if region is None or not (valid or _valid_for(national, region)):
        return None
    return PhoneNumber(text, region, country_code)


def _region_from_list(national: str, regions: tuple[str, ...]) -> tuple[str | None, bool]:
    """libphonenumber's ``_region_code_for_number_from_list``, and whether the number is
    already known to be valid for the region found (a region without leading digits is
    chosen by the same test :func:`_valid_for` makes, which need not run twice)."""
    for region in regions:
        rules = _region_rules(region)
        if rules is None:
            continue
        leading = rules[0]
        if leading is not None:
            if leading.match(national):
                return region, False
        elif _of_a_type(national, rules):
            return region, True
    return None, False


def parse_phone(raw: str, default_region: str | None = None) -> PhoneNumber:
    """Parse and validate ``raw`` into a :class:`PhoneNumber`.

    ``raw`` may be E.164 (``+14155551234``), use the ``00`` international
    prefix (``00218912345678``), or be a national number when
    ``default_region`` (ISO 3166 alpha-2, any case) is given. Spaces, dashes,
    dots, slashes and parentheses are ignored. Raises :class:`InvalidPhoneNumber`
    unless the number is both possible and valid according to libphonenumber.
    """
    region = default_region.upper() if default_region else None
    result = _parse_cached(raw, region)
    if isinstance(result, str):
        raise InvalidPhoneNumber(raw, result)
    return result


def format_international(e164: str) -> str:
    """Return the international display form, e.g. ``+1 415-555-1234``."""
    return parse_phone(e164).international


def region_of(e164: str) -> str | None:
    """Return the ISO region of a number, or None for non-geographic numbers."""
    return parse_phone(e164).region_code
