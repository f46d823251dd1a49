"""Tables of handing messages to carriers: the dispatch queue, submit attempts, receipts
parked until their message is known, the simulator's and SMPP's books, and the carrier
limits shared by every process."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint, text

from signalpost.storage.tables.base import AutoId, Id, Micros, metadata

__all__ = [
    "carrier_holders",
    "carrier_rates",
    "carrier_slots",
    "dispatch_queue",
    "parked_receipts",
    "sim_submits",
    "smpp_messages",
    "smpp_mo_parts",
    "smpp_parts",
    "submit_attempts",
]


dispatch_queue = Table(
    "dispatch_queue",
    metadata,
    Column("message_id", Id, primary_key=True),
    Column("due_at", Micros, nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("leased_by", String(64), nullable=True),
    # The group a held message waits with (e.g. its send definition); held rows are due at
    # HELD_DUE_AT until the group is released.
    Column("hold_key", String(64), nullable=True),
    # A carrier this process could not send over handed the row to the processes that can
    # (those holding the carrier's bind slots); others pass it by.
    Column("for_carrier", String(32), nullable=True),
    Index(
        None,
        "hold_key",
        sqlite_where=text("hold_key IS NOT NULL"),
        postgresql_where=text("hold_key IS NOT NULL"),
    ),
)

submit_attempts = Table(
    "submit_attempts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("message_id", Id, nullable=False, index=True),
    Column("attempt_no", Integer, nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("carrier_message_id", String(64), nullable=True),
    Column("error_code", String(32), nullable=True),
    Column("error_reason", Text, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("completed_at", Micros, nullable=True),
)

# Receipts that arrived before what they are about was recorded (storage/parking.py): scope
# "message" (a carrier id the platform has not stored yet) or "part" (an SMPP part whose
# submit_sm_resp the SMPP carrier has not recorded yet).
parked_receipts = Table(
    "parked_receipts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("carrier_message_id", String(65), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason_code", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("error_code", String(32), nullable=True),
    Column("occurred_at", Micros, nullable=False),
    Column("received_at", Micros, nullable=False),
    Index(None, "scope", "carrier", "carrier_message_id"),
    Index(None, "scope", "carrier", "received_at"),
)


sim_submits = Table(
    "sim_submits",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("attempt_key", String(64), nullable=False, unique=True),
    Column("message_ref", String(64), nullable=False, index=True),
    Column("destination", String(20), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("carrier_message_id", String(64), nullable=True),
    Column("receipt_status", String(16), nullable=True),
    Column("receipt_due_at", Micros, nullable=True, index=True),
    Column("created_at", Micros, nullable=False),
)


# SMPP: one row per message sent over SMPP (its id is the carrier_message_id the platform
# records), one row per accepted part with the SMSC's id, and parts of long
# mobile-originated messages waiting for the rest.
smpp_messages = Table(
    "smpp_messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("message_id", Id, nullable=False, unique=True),
    Column("carrier", String(32), nullable=True),  # the connection that completed the submit
    Column("parts", Integer, nullable=False),
    Column("concat_ref", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # partial | sent | closed
    Column("outcome", String(16), nullable=True),  # the decided status, once decided
    Column("outcome_reason_code", String(32), nullable=True),
    Column("outcome_reason", Text, nullable=True),
    Column("outcome_error_code", String(32), nullable=True),
    Column("outcome_at", Micros, nullable=True),
    Column("report_due", Boolean, nullable=False, index=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
)

smpp_parts = Table(
    "smpp_parts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("smpp_message_id", String(32), nullable=False),  # smpp_messages.id
    Column("part_no", Integer, nullable=False),
    Column("connection", String(32), nullable=False),
    Column("smsc_message_id", String(65), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason_code", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("error_code", String(32), nullable=True),
    Column("submitted_at", Micros, nullable=False),
    Column("done_at", Micros, nullable=True),
    UniqueConstraint("smpp_message_id", "part_no"),
    Index(None, "connection", "smsc_message_id"),
)

smpp_mo_parts = Table(
    "smpp_mo_parts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("connection", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("ref", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("part_no", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", Micros, nullable=False),
    UniqueConstraint("connection", "source", "destination", "ref", "part_no"),
)

# Limits shared by every process on the database (signalpost.storage.limits).
carrier_slots = Table(
    "carrier_slots",
    metadata,
    Column("carrier", String(32), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("holder", String(64), nullable=True),  # the process holding the slot's lease
    Column("lease_until", Micros, nullable=False),
)

carrier_holders = Table(
    "carrier_holders",
    metadata,
    Column("carrier", String(32), primary_key=True),
    Column("holder", String(64), primary_key=True),  # a process sharing the carrier's slots
    Column("seen_until", Micros, nullable=False),  # it counts until then unless it renews
)

carrier_rates = Table(
    "carrier_rates",
    metadata,
    Column("carrier", String(32), primary_key=True),
    Column("next_at", Micros, nullable=False),  # the start of the next unreserved send slot
)
