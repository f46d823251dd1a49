"""What SMPP answers mean: submit verdicts, receipt parsing, the multipart rule, routing."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.carriers.base import Carrier, Submission, SubmitResult
from signalpost.carriers.registry import CarrierRegistry
from signalpost.carriers.smpp.carrier import address_type, relative_validity
from signalpost.carriers.smpp.status import (
    PartState,
    VerdictKind,
    classify,
    decide,
    id_candidates,
    parse_receipt,
)
from signalpost.domain.lifecycle import ReasonCode, Status

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


def test_id_candidates_cover_both_bases() -> None:
    assert id_candidates("255")[:2] == ["255", "ff"]
    assert "FF" in id_candidates("255")
    assert id_candidates("ff")[:2] == ["ff", "255"]
    assert id_candidates("msg-7") == ["msg-7", "MSG-7"]


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
    def __init__(self, name: str, up: bool) -> None:
        self.name = name
        self.up = up

    @property
    def available(self) -> bool:
        return self.up

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        raise NotImplementedError


def test_routes_fail_over_to_the_next_available_carrier() -> None:
    sim, a, b = _Fake("simulator", True), _Fake("a", True), _Fake("b", True)
    registry = CarrierRegistry([sim, a, b], default="simulator")
    registry.add_route("+1", "a", fallbacks=["b"], channels=["sms"])
    registry.add_route("+44", "b")
    assert registry.route("+14155551234", "sms") is a
    a.up = False
    assert registry.route("+14155551234", "sms") is b
    b.up = False
    assert registry.route("+14155551234", "sms") is a  # none up: the primary, to retry later
    assert registry.route("+14155551234", "whatsapp") is sim
    assert registry.route("+447700900000", "whatsapp") is b
    assert registry.route("+33612345678", "sms") is sim
    with pytest.raises(ValueError, match="unknown carrier"):
        registry.add_route("+3", "z")
