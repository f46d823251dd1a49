"""What SMPP answers mean: submit verdicts, receipt parsing, the multipart rule, routing."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.carriers.base import Carrier, Submission, SubmitResult
from signalpost.carriers.registry import CarrierRegistry
from signalpost.carriers.smpp.ledger import target_part
from signalpost.carriers.smpp.outbound import address_type, relative_validity
from signalpost.carriers.smpp.status import (
    PartState,
    ReceiptIds,
    VerdictKind,
    classify,
    decide,
    parse_receipt,
    part_key,
    text_key,
)
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.storage import Row

NOW = 1_700_000_000_000_000


@pytest.mark.parametrize(
    ("status", "kind", "final", "code"),
    [
        (0x00, VerdictKind.OK, None, None),
        (0x58, VerdictKind.THROTTLE, None, None),
        (0x14, VerdictKind.THROTTLE, None, None),
        (0x08, VerdictKind.TRANSIENT, None, None),
        (0x64, VerdictKind.TRANSIENT, None, None),
        (0x0410, VerdictKind.TRANSIENT, None, None),
        (0x0B, VerdictKind.PERMANENT, Status.REJECTED, ReasonCode.INVALID_DESTINATION),
        (0x51, VerdictKind.PERMANENT, Status.REJECTED, ReasonCode.INVALID_DESTINATION),
        (0x0A, VerdictKind.PERMANENT, Status.REJECTED, ReasonCode.REJECTED),
        (0x66, VerdictKind.PERMANENT, Status.REJECTED, ReasonCode.REJECTED),
        (0x01, VerdictKind.PERMANENT, Status.FAILED, ReasonCode.TOO_LONG),
        (0x45, VerdictKind.PERMANENT, Status.FAILED, ReasonCode.SUBMIT_REFUSED),
        (0xFF, VerdictKind.PERMANENT, Status.FAILED, ReasonCode.SUBMIT_REFUSED),
    ],
)
def test_command_status_classification(
    status: int, kind: VerdictKind, final: Status | None, code: ReasonCode | None
) -> None:
    verdict = classify(status)
    assert verdict.kind is kind
    assert verdict.status == final
    assert verdict.reason_code == (code.value if code else None)
    if kind is VerdictKind.PERMANENT:
        assert verdict.error_code in (verdict.reason or "")


def test_receipt_from_tlvs_wins_over_text() -> None:
    text = "id:999 sub:001 dlvrd:000 submit date:2401021530 done date:2401021531 stat:UNDELIV"
    tlvs = {0x001E: b"abc123\0", 0x0427: bytes([2]), 0x0423: b"\x03\x00\x00"}
    receipt = parse_receipt(text, tlvs, NOW)
    assert receipt is not None
    assert (receipt.smsc_message_id, receipt.stat, receipt.status) == (
        "abc123",
        "DELIVRD",
        Status.DELIVERED,
    )
    assert receipt.occurred_at == 1704209460 * 1_000_000  # 2024-01-02 15:31 UTC


@pytest.mark.parametrize(
    ("stat", "status", "code"),
    [
        ("UNDELIV", Status.FAILED, ReasonCode.UNDELIVERABLE),
        ("EXPIRED", Status.EXPIRED, ReasonCode.EXPIRED),
        ("REJECTD", Status.REJECTED, ReasonCode.REJECTED),
        ("DELETED", Status.FAILED, ReasonCode.DELETED),
        ("UNKNOWN", Status.FAILED, ReasonCode.UNKNOWN_FINAL),
    ],
)
def test_receipt_text_states(stat: str, status: Status, code: ReasonCode) -> None:
    text = (
        "ID:0A1B SUB:001 DLVRD:000 Submit Date:240102153012 Done Date:240102153059 "
        f"Stat:{stat} Err:021 Text:hello stat:DELIVRD"
    )
    receipt = parse_receipt(text, {}, NOW)
    assert receipt is not None
    assert (receipt.smsc_message_id, receipt.status) == ("0A1B", status)
    assert (receipt.reason_code, receipt.error_code) == (code.value, "021")
    assert receipt.occurred_at == 1704209459 * 1_000_000
    assert "err 021" in (receipt.reason or "")


def test_intermediate_and_accepted_receipts() -> None:
    enroute = parse_receipt("id:1 stat:ENROUTE", {}, NOW)
    assert enroute is not None
    assert enroute.status is None
    assert enroute.occurred_at == NOW
    accepted = parse_receipt("id:1 dlvrd:000 stat:ACCEPTD", {}, NOW)
    assert accepted is not None
    assert accepted.status is None
    read = parse_receipt("id:1 dlvrd:001 stat:ACCEPTD", {}, NOW)
    assert read is not None
    assert read.status is Status.DELIVERED


def test_receipt_without_id_and_bad_dates() -> None:
    assert parse_receipt("stat:DELIVRD", {}, NOW) is None
    odd = parse_receipt("id:7 done date:9913450000 stat:DELIVRD", {}, NOW)
    assert odd is not None
    assert odd.occurred_at == NOW


def test_an_all_digit_id_is_never_read_in_another_base() -> None:
    # "256" written in hexadecimal is "100": another message of an SMSC counting 1, 2, 3…
    receipt = parse_receipt("id:256 stat:DELIVRD", {}, NOW)
    assert receipt is not None
    assert receipt.smsc_message_id == "256"
    assert part_key("100", ReceiptIds.SAME) != receipt.smsc_message_id
    assert part_key("ff", ReceiptIds.SAME) != text_key("255", ReceiptIds.SAME)
    assert part_key("FF", ReceiptIds.SAME) != text_key("ff", ReceiptIds.SAME)


def test_configured_conversion_reads_the_text_id_in_the_other_base() -> None:
    dec = parse_receipt("id:500 stat:UNDELIV", {}, NOW, ReceiptIds.HEX_TO_DEC)
    assert dec is not None
    assert dec.smsc_message_id == part_key("000001F4", ReceiptIds.HEX_TO_DEC) == "500"
    hexa = parse_receipt("id:1f4 stat:UNDELIV", {}, NOW, ReceiptIds.DEC_TO_HEX)
    assert hexa is not None
    assert hexa.smsc_message_id == part_key("500", ReceiptIds.DEC_TO_HEX)
    # the receipted_message_id TLV is the submit_sm_resp id itself: never converted
    tlv = parse_receipt("id:500 stat:UNDELIV", {0x001E: b"1F4\0"}, NOW, ReceiptIds.HEX_TO_DEC)
    assert tlv is not None
    assert tlv.smsc_message_id == part_key("1F4", ReceiptIds.HEX_TO_DEC)
    # ids that are not numbers of the configured base are kept as they are
    assert part_key("msg-7", ReceiptIds.HEX_TO_DEC) == "msg-7"
    assert text_key("msg-7", ReceiptIds.DEC_TO_HEX) == "msg-7"
    assert text_key("٣", ReceiptIds.HEX_TO_DEC) == "٣"  # int() would read it as 3


ids = st.text("0123456789abcdefABCDEF-x", min_size=1, max_size=12)


@given(ids, ids)
def test_same_ids_match_only_when_equal(submitted: str, receipted: str) -> None:
    same = ReceiptIds.SAME
    assert (part_key(submitted, same) == text_key(receipted, same)) == (submitted == receipted)


@given(st.integers(0, 2**64), st.integers(0, 2**64), st.integers(0, 4), st.booleans())
def test_converted_ids_match_exactly_their_number(
    n: int, m: int, padding: int, upper: bool
) -> None:
    sent_hex = format(n, "x").zfill(padding + 1)
    sent_hex = sent_hex.upper() if upper else sent_hex
    hex_to_dec = ReceiptIds.HEX_TO_DEC
    assert (part_key(sent_hex, hex_to_dec) == text_key(str(m), hex_to_dec)) == (n == m)
    sent_dec = str(n).zfill(padding + 1)
    dec_to_hex = ReceiptIds.DEC_TO_HEX
    assert (part_key(sent_dec, dec_to_hex) == text_key(format(m, "x"), dec_to_hex)) == (n == m)


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=8), st.integers(0, 2 * 10**9))
def test_a_receipt_targets_the_newest_part_submitted_before_it(
    submitted: list[int], received: int
) -> None:
    parts = [{"id": i, "submitted_at": at} for i, at in enumerate(submitted)]
    target: object = target_part(cast("list[Row]", parts), received)
    eligible = [p for p in parts if p["submitted_at"] <= received]
    if not eligible:
        assert target is None
    else:
        assert target == max(eligible, key=lambda p: (p["submitted_at"], p["id"]))


# ----------------------------------------------------------------------------- multipart rule

part_states = st.sampled_from(
    [Status.SENT, Status.DELIVERED, Status.FAILED, Status.EXPIRED, Status.REJECTED]
)


@given(st.lists(part_states, min_size=1, max_size=6))
def test_multipart_rule(states: list[Status]) -> None:
    parts = [PartState(n, s, at=n * 10, reason_code=f"R{n}") for n, s in enumerate(states, 1)]
    failing = [p for p in parts if p.status not in (Status.SENT, Status.DELIVERED)]
    for order in itertools.islice(itertools.permutations(parts), 24):
        decision = decide(order, len(parts))
        if failing:
            assert decision is not None
            assert (decision.status, decision.reason_code) == (
                failing[0].status,
                f"R{failing[0].number}",
            )
        elif all(s == Status.DELIVERED for s in states):
            assert decision is not None
            assert (decision.status, decision.at) == (Status.DELIVERED, len(parts) * 10)
        else:
            assert decision is None


def test_missing_parts_keep_a_message_open() -> None:
    delivered = [PartState(1, Status.DELIVERED, 5), PartState(2, Status.DELIVERED, 6)]
    assert decide(delivered, 3) is None
    assert decide([], 1) is None


# ----------------------------------------------------------------------------- helpers


def test_addresses_and_validity() -> None:
    assert address_type("+14155551234") == (1, 1)
    assert address_type("14155551234") == (1, 1)
    assert address_type("12345") == (3, 0)
    assert address_type("Signalpost") == (5, 0)
    assert address_type("") == (0, 0)
    assert relative_validity(90061) == "000001010101000R"
    assert relative_validity(5) == "000000000100000R"


class _Fake(Carrier):
    def __init__(self, name: str, up: bool, channels: tuple[str, ...] = ("sms",)) -> None:
        self.name = name
        self.up = up
        self.channels = frozenset(channels)

    @property
    def available(self) -> bool:
        return self.up

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        raise NotImplementedError


def test_routes_fail_over_to_the_next_available_carrier() -> None:
    sim = _Fake("simulator", True, ("sms", "whatsapp", "rcs"))
    a, b = _Fake("a", True), _Fake("b", True)
    registry = CarrierRegistry([sim, a, b], default="simulator")
    registry.add_route("+1", "a", fallbacks=["b"], channels=["sms"])
    registry.add_route("+44", "b")
    assert registry.route("+14155551234", "sms") is a
    a.up = False
    assert registry.route("+14155551234", "sms") is b
    b.up = False
    assert registry.route("+14155551234", "sms") is a  # none up: the primary, to retry later
    assert registry.route("+14155551234", "whatsapp") is sim
    assert registry.route("+447700900000", "whatsapp") is sim  # b carries SMS only
    assert registry.route("+33612345678", "sms") is sim
    assert registry.channels == {"sms", "whatsapp", "rcs"}
    smpp_only = CarrierRegistry([sim, a], default=None)
    smpp_only.add_route("", "a")
    assert smpp_only.route("+14155551234", "sms") is a
    assert smpp_only.route("+14155551234", "whatsapp") is None  # no carrier carries it
    assert smpp_only.route("+14155551234", "whatsapp", test=True) is sim  # test keys
    assert smpp_only.channels == {"sms"}
    with pytest.raises(ValueError, match="unknown carrier"):
        registry.add_route("+3", "z")
