"""The lifecycle state machine: transitions, carrier outcomes by rank, never backwards."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.domain.lifecycle import (
    FINAL,
    IllegalTransition,
    Status,
    can_transition,
    describe,
    plan_transition,
)

CARRIER_OUTCOMES = [
    Status.SENT,
    Status.DELIVERED,
    Status.READ,
    Status.FAILED,
    Status.EXPIRED,
    Status.REJECTED,
]
TERMINAL = FINAL - {Status.DELIVERED}


def test_happy_path_is_allowed() -> None:
    path = [
        Status.ACCEPTED,
        Status.QUEUED,
        Status.PROCESSED,
        Status.ROUTED,
        Status.SENT,
        Status.DELIVERED,
        Status.READ,
    ]
    for current, target in itertools.pairwise(path):
        assert can_transition(current, target)


@pytest.mark.parametrize("final", sorted(TERMINAL))
def test_terminal_states_have_no_way_out(final: Status) -> None:
    for target in Status:
        assert not can_transition(final, target)


def test_platform_changes_are_strict() -> None:
    with pytest.raises(IllegalTransition):
        plan_transition(Status.DELIVERED, Status.QUEUED)
    with pytest.raises(IllegalTransition):
        plan_transition(Status.SENT, Status.CANCELLED)


def test_early_receipt_applies_before_sent_is_recorded() -> None:
    plan = plan_transition(Status.ROUTED, Status.DELIVERED, from_carrier=True)
    assert plan.apply
    assert plan.status == Status.DELIVERED


def test_late_sent_after_delivery_is_a_no_op() -> None:
    plan = plan_transition(Status.DELIVERED, Status.SENT, from_carrier=True)
    assert not plan.apply
    assert plan.status == Status.DELIVERED


def test_delivered_may_still_be_read() -> None:
    assert plan_transition(Status.DELIVERED, Status.READ, from_carrier=True).apply


def test_description_names_the_channel() -> None:
    assert describe(Status.SENT, "sms") == "Message sent via SMS"
    assert describe(Status.SENT, "whatsapp") == "Message sent via WhatsApp"


def _apply(current: Status, receipts: list[Status]) -> tuple[Status, list[Status]]:
    recorded: list[Status] = []
    for receipt in receipts:
        plan = plan_transition(current, receipt, from_carrier=True)
        if plan.apply:
            recorded.append(plan.status)
        current = plan.status
    return current, recorded


@given(st.lists(st.sampled_from(CARRIER_OUTCOMES), min_size=1, max_size=12))
def test_receipts_in_any_order_never_move_a_final_state_back(receipts: list[Status]) -> None:
    final, recorded = _apply(Status.ROUTED, receipts)
    terminal_seen = [s for s in recorded if s in TERMINAL]
    assert len(terminal_seen) <= 1, "at most one terminal state is ever recorded"
    if terminal_seen:
        assert final == terminal_seen[0]
        assert recorded[-1] == terminal_seen[0]
    assert len(recorded) == len(set(recorded)), "no state is recorded twice"
    if Status.READ in recorded:
        assert final == Status.READ


@given(st.lists(st.sampled_from(list(Status)), min_size=1, max_size=10))
def test_strict_plans_follow_the_table(targets: list[Status]) -> None:
    current = Status.ACCEPTED
    for target in targets:
        try:
            plan = plan_transition(current, target)
        except IllegalTransition:
            assert not can_transition(current, target)
            continue
        assert can_transition(current, target)
        current = plan.status
