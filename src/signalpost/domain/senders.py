"""Sender IDs: what a ``from`` is, and whether a destination country's networks accept it.

Three kinds of sender exist: a phone number in E.164 form, a short code (3 to 8 digits)
and an alphanumeric sender (letters, digits and spaces with at least one letter).  Each
destination country has a rule (shipped in ``domain/sender_rules.json``, overridable):
whether alphanumeric senders are carried, their longest form, whether numeric senders are
carried, and whether the sender must be registered first.  :func:`check_sender` names the
rule a sender breaks, so an API can answer with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

__all__ = [
    "InvalidSenderRules",
    "PoolSender",
    "SenderKind",
    "SenderRule",
    "SenderRules",
    "SenderViolation",
    "check_sender",
    "kind_of",
    "pick_sender",
]

_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SHORT_CODE = re.compile(r"\d{3,8}")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*")


class SenderKind(StrEnum):
    PHONE_NUMBER = "phone_number"  # a long code or toll-free number, E.164
    SHORT_CODE = "short_code"  # 3 to 8 digits, national
    ALPHANUMERIC = "alphanumeric"  # a name such as "Acme"


class InvalidSenderRules(ValueError):
    """The sender rules file is not valid."""


@dataclass(frozen=True, slots=True)
class SenderRule:
    alphanumeric: bool = True
    max_alphanumeric_length: int = 11
    numeric: bool = True
    registration_required: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class SenderViolation:
    """A broken rule: a stable code, the country and a sentence for people."""

    code: str
    region: str | None
    message: str


def kind_of(sender: str) -> SenderKind | None:
    """The kind of ``sender``, or None if it is none of the three."""
    if _E164.fullmatch(sender):
        return SenderKind.PHONE_NUMBER
    if _SHORT_CODE.fullmatch(sender):
        return SenderKind.SHORT_CODE
    if _ALPHANUMERIC.fullmatch(sender) and sender.strip() == sender:
        return SenderKind.ALPHANUMERIC
    return None


_RULE_FIELDS = {
    "alphanumeric": bool,
    "max_alphanumeric_length": int,
    "numeric": bool,
    "registration_required": bool,
    "note": str,
}


def _rule(base: SenderRule, value: object, where: str) -> SenderRule:
    changes: dict[str, object] = {}
    for key, field_value in _as_mapping(value, where).items():
        kind = _RULE_FIELDS.get(key)
        if kind is None:
            raise InvalidSenderRules(f"{where}.{key}: unknown field")
        if type(field_value) is not kind:
            raise InvalidSenderRules(f"{where}.{key}: expected {kind.__name__}")
        changes[key] = field_value
    rule = replace(base, **changes)  # type: ignore[arg-type]
    if not 1 <= rule.max_alphanumeric_length <= 11:
        raise InvalidSenderRules(f"{where}.max_alphanumeric_length: must be 1 to 11")
    return rule


class SenderRules:
    """A default rule and one rule per destination country (which start from the default)."""

    __slots__ = ("_countries", "_countries_raw", "_default_raw", "default")

    def __init__(self, mapping: Mapping[str, object]) -> None:
        default = _as_mapping(mapping.get("default", {}), "default")
        countries = _as_mapping(mapping.get("countries", {}), "countries")
        self._default_raw: dict[str, object] = dict(default)
        self._countries_raw: dict[str, dict[str, object]] = {
            str(region).upper(): dict(_as_mapping(value, f"countries.{region}"))
            for region, value in countries.items()
        }
        self.default = _rule(SenderRule(), default, "default")
        self._countries = MappingProxyType(
            {
                region: _rule(self.default, value, f"countries.{region}")
                for region, value in self._countries_raw.items()
            }
        )

    @classmethod
    def shipped(cls) -> SenderRules:
        return _shipped()

    def with_overrides(self, overrides: Mapping[str, object]) -> SenderRules:
        """These rules with an operator's file laid over them, field by field."""
        default = _as_mapping(overrides.get("default", {}), "default")
        countries = dict(self._countries_raw)
        extra = _as_mapping(overrides.get("countries", {}), "countries")
        for region, value in extra.items():
            key = str(region).upper()
            countries[key] = {**countries.get(key, {}), **_as_mapping(value, f"countries.{region}")}
        return SenderRules({"default": {**self._default_raw, **default}, "countries": countries})

    def rule_for(self, region: str | None) -> SenderRule:
        if region is None:
            return self.default
        return self._countries.get(region, self.default)


def _as_mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidSenderRules(f"{where}: expected an object")
    return value


@lru_cache(maxsize=1)
def _shipped() -> SenderRules:
    text = resources.files("signalpost.domain").joinpath("sender_rules.json").read_text("utf-8")
    return SenderRules(json.loads(text))


def check_sender(
    rules: SenderRules,
    sender: str,
    region: str | None,
    *,
    registered: Collection[str] = (),
) -> SenderViolation | None:
    """Why ``sender`` may not send to a number of ``region``, or None if it may.

    ``registered`` holds the senders the organization has registered, for countries whose
    networks require registration.
    """
    kind = kind_of(sender)
    where = region or "any country"
    if kind is None:
        return SenderViolation(
            "sender_invalid",
            region,
            f"sender {sender!r} is neither an E.164 number, a short code (3-8 digits) nor an "
            "alphanumeric sender (letters, digits and spaces, at least one letter)",
        )
    rule = rules.rule_for(region)
    if kind is SenderKind.ALPHANUMERIC:
        if not rule.alphanumeric:
            return SenderViolation(
                "sender_alphanumeric_not_allowed",
                region,
                f"alphanumeric senders are not delivered to numbers in {where}; "
                "send from a phone number or short code",
            )
        if len(sender) > rule.max_alphanumeric_length:
            return SenderViolation(
                "sender_too_long",
                region,
                f"alphanumeric senders to {where} are at most "
                f"{rule.max_alphanumeric_length} characters ({sender!r} has {len(sender)})",
            )
    elif not rule.numeric:
        return SenderViolation(
            "sender_numeric_not_allowed",
            region,
            f"numeric senders are not delivered to numbers in {where}; use a registered name",
        )
    if rule.registration_required and sender not in registered:
        return SenderViolation(
            "sender_not_registered",
            region,
            f"senders to {where} must be registered first; {sender!r} is not",
        )
    return None


@dataclass(frozen=True, slots=True)
class PoolSender:
    """A sender in a profile's number pool and the country it belongs to (None: any)."""

    sender: str
    region: str | None


def _weight(recipient: str, sender: str) -> bytes:
    return hashlib.blake2b(f"{recipient}\x00{sender}".encode(), digest_size=8).digest()


def pick_sender(pool: Sequence[PoolSender], recipient: str, region: str | None) -> str | None:
    """The pool's sender for ``recipient``: the same one every time while the pool holds it.

    Senders of the recipient's own country are preferred; among the candidates the one with
    the highest hash of (recipient, sender) wins (rendezvous hashing), so adding a sender to
    the pool moves only the recipients it now wins, and removing one moves only its own.
    """
    local = [p for p in pool if p.region is not None and p.region == region]
    candidates = local or [p for p in pool if p.region is None] or list(pool)
    if not candidates:
        return None
    return max(candidates, key=lambda p: _weight(recipient, p.sender)).sender
