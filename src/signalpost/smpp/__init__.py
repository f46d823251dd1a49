"""SMPP 3.4 on the wire, shared by the SMPP carrier (the ESME side) and the SMSC simulator.

* :mod:`~signalpost.smpp.pdu` — command ids and statuses, framing, the small PDUs, and
  ``submit_sm``/``deliver_sm`` through the compiled ``smpp34`` codec;
* :mod:`~signalpost.smpp.text` — message text as short messages: GSM-7/UCS-2 and UDH
  concatenation, and back;
* :mod:`~signalpost.smpp.receipts` — delivery receipts: the Appendix B text and their TLVs.

Pure and typed: nothing here knows about storage, the platform's statuses or asyncio
beyond the transport a :class:`Writer` writes to.
"""

from signalpost.smpp.pdu import (
    BindRequest,
    Command,
    CommandStatus,
    DeliverSm,
    Framer,
    ProtocolError,
    ShortMessage,
    SubmitSm,
    Tlv,
    Writer,
    decode_sm,
    status_name,
)
from signalpost.smpp.text import Incoming, Part, read_short_message, split_message

__all__ = [
    "BindRequest",
    "Command",
    "CommandStatus",
    "DeliverSm",
    "Framer",
    "Incoming",
    "Part",
    "ProtocolError",
    "ShortMessage",
    "SubmitSm",
    "Tlv",
    "Writer",
    "decode_sm",
    "read_short_message",
    "split_message",
    "status_name",
]
