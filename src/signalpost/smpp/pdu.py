"""SMPP 3.4 PDUs: command ids, ``command_status`` values, framing and the small PDUs.

``submit_sm`` and ``deliver_sm`` are encoded and decoded by the compiled ``smpp34`` codec
(:class:`SubmitSm`, :class:`DeliverSm`; its errors surface as :class:`ProtocolError`).
The PDUs it exposes only as raw bytes (the bind family, the responses, ``enquire_link``,
``unbind`` and ``generic_nack``) are a header and at most a few C strings; they are built
and read here.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from enum import IntEnum

import smpp34
from smpp34 import DeliverSm, SubmitSm, Tlv

__all__ = [
    "HEADER_SIZE",
    "RESPONSE_BIT",
    "BindRequest",
    "Command",
    "CommandStatus",
    "DeliverSm",
    "Framer",
    "ProtocolError",
    "ShortMessage",
    "SubmitSm",
    "Tlv",
    "Writer",
    "bind_request",
    "bind_response",
    "body",
    "c_string",
    "decode_sm",
    "header",
    "message_id",
    "pdu",
    "read_bind",
    "response",
    "status_name",
]

ShortMessage = SubmitSm | DeliverSm

HEADER_SIZE = 16
MAX_PDU = 64 * 1024
_HEADER = struct.Struct(">IIII")
INTERFACE_VERSION = 0x34


class Command(IntEnum):
    """SMPP 3.4 ``command_id`` values (responses have the high bit set)."""

    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015


RESPONSE_BIT = 0x80000000


class CommandStatus(IntEnum):
    """SMPP 3.4 ``command_status`` values (the table of the status mapping, section 4)."""

    ESME_ROK = 0x00
    ESME_RINVMSGLEN = 0x01
    ESME_RINVCMDLEN = 0x02
    ESME_RINVCMDID = 0x03
    ESME_RINVBNDSTS = 0x04
    ESME_RALYBND = 0x05
    ESME_RINVPRTFLG = 0x06
    ESME_RINVREGDLVFLG = 0x07
    ESME_RSYSERR = 0x08
    ESME_RINVSRCADR = 0x0A
    ESME_RINVDSTADR = 0x0B
    ESME_RINVMSGID = 0x0C
    ESME_RBINDFAIL = 0x0D
    ESME_RINVPASWD = 0x0E
    ESME_RINVSYSID = 0x0F
    ESME_RCANCELFAIL = 0x11
    ESME_RREPLACEFAIL = 0x13
    ESME_RMSGQFUL = 0x14
    ESME_RINVSERTYP = 0x15
    ESME_RINVNUMDESTS = 0x33
    ESME_RINVDLNAME = 0x34
    ESME_RINVDESTFLAG = 0x40
    ESME_RINVSUBREP = 0x42
    ESME_RINVESMCLASS = 0x43
    ESME_RCNTSUBDL = 0x44
    ESME_RSUBMITFAIL = 0x45
    ESME_RINVSRCTON = 0x48
    ESME_RINVSRCNPI = 0x49
    ESME_RINVDSTTON = 0x50
    ESME_RINVDSTNPI = 0x51
    ESME_RINVSYSTYP = 0x53
    ESME_RINVREPFLAG = 0x54
    ESME_RINVNUMMSGS = 0x55
    ESME_RTHROTTLED = 0x58
    ESME_RINVSCHED = 0x61
    ESME_RINVEXPIRY = 0x62
    ESME_RINVDFTMSGID = 0x63
    ESME_RX_T_APPN = 0x64
    ESME_RX_P_APPN = 0x65
    ESME_RX_R_APPN = 0x66
    ESME_RQUERYFAIL = 0x67
    ESME_RINVOPTPARSTREAM = 0xC0
    ESME_ROPTPARNOTALLWD = 0xC1
    ESME_RINVPARLEN = 0xC2
    ESME_RMISSINGOPTPARAM = 0xC3
    ESME_RINVOPTPARAMVAL = 0xC4
    ESME_RDELIVERYFAILURE = 0xFE
    ESME_RUNKNOWNERR = 0xFF


_STATUS_NAMES = {s.value: s.name for s in CommandStatus}


def status_name(status: int) -> str:
    """``ESME_R...`` for a known status, ``0x0000NNNN`` otherwise."""
    return _STATUS_NAMES.get(status) or f"0x{status:08X}"


class ProtocolError(Exception):
    """The peer sent bytes that are not a valid SMPP PDU.

    ``command_status`` is the error to answer the PDU with, when it can be answered.
    """

    def __init__(self, message: str, command_status: int = 0x08) -> None:
        super().__init__(message)
        self.command_status = command_status


def pdu(command: int, sequence: int, body: bytes = b"", status: int = 0) -> bytes:
    """A whole PDU: the 16-byte header followed by ``body``."""
    return _HEADER.pack(HEADER_SIZE + len(body), command, status, sequence) + body


def response(command: int, sequence: int, status: int = 0, body: bytes = b"") -> bytes:
    """The response to a ``command`` request with this ``sequence``."""
    return pdu(command | RESPONSE_BIT, sequence, body, status)


def header(frame: bytes) -> tuple[int, int, int]:
    """``(command_id, command_status, sequence_number)`` of a whole PDU."""
    _length, command, status, sequence = _HEADER.unpack_from(frame)
    return command, status, sequence


def body(frame: bytes) -> bytes:
    """What follows the header of a whole PDU."""
    return frame[HEADER_SIZE:]


def c_string(body: bytes, start: int = 0) -> tuple[str, int]:
    """The C-octet string at ``start`` and the offset after its NUL (lenient at the end)."""
    end = body.find(b"\0", start)
    if end < 0:
        return body[start:].decode("latin-1"), len(body)
    return body[start:end].decode("latin-1"), end + 1


def _cstr(value: str) -> bytes:
    return value.encode("latin-1") + b"\0"


@dataclass(frozen=True, slots=True)
class BindRequest:
    """The fields of a bind_transmitter, bind_receiver or bind_transceiver."""

    system_id: str
    password: str
    system_type: str = ""
    interface_version: int = INTERFACE_VERSION
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


def bind_request(command: int, sequence: int, bind: BindRequest) -> bytes:
    body = (
        _cstr(bind.system_id)
        + _cstr(bind.password)
        + _cstr(bind.system_type)
        + bytes((bind.interface_version, bind.addr_ton, bind.addr_npi))
        + _cstr(bind.address_range)
    )
    return pdu(command, sequence, body)


def read_bind(body: bytes) -> BindRequest:
    """Parse a bind request body; raises :class:`ProtocolError` when it is truncated."""
    system_id, pos = c_string(body)
    password, pos = c_string(body, pos)
    system_type, pos = c_string(body, pos)
    if pos + 3 > len(body):
        raise ProtocolError("bind PDU is truncated")
    version, ton, npi = body[pos], body[pos + 1], body[pos + 2]
    address_range, _ = c_string(body, pos + 3)
    return BindRequest(system_id, password, system_type, version, ton, npi, address_range)


def bind_response(command: int, sequence: int, status: int, system_id: str) -> bytes:
    answer = _cstr(system_id) if status == CommandStatus.ESME_ROK else b""
    return response(command, sequence, status, answer)


def message_id(submit_sm_resp: bytes) -> str:
    """The ``message_id`` a ``submit_sm_resp`` body carries."""
    return c_string(submit_sm_resp)[0]


def decode_sm(frame: bytes) -> ShortMessage:
    """Decode a submit_sm or deliver_sm; raises :class:`ProtocolError` when malformed."""
    try:
        decoded = smpp34.decode(frame)
    except smpp34.SmppError as exc:
        raise ProtocolError(str(exc), _error_status(exc)) from exc
    if isinstance(decoded, smpp34.RawPdu):
        raise ProtocolError(f"not a short message PDU: 0x{decoded.command_id:08X}")
    return decoded


def _error_status(exc: Exception) -> int:
    """The command_status a codec error names (``"ESME_RINVPARLEN (0x000000C2)"``)."""
    text = str(exc)
    start = text.rfind("(0x")
    if start >= 0:
        try:
            return int(text[start + 1 : text.index(")", start)], 16)
        except ValueError:
            pass
    return CommandStatus.ESME_RSYSERR


class Framer:
    """Cuts a byte stream into whole PDUs."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; returns the PDUs completed by them, in order."""
        buffer = self._buffer
        buffer += data
        frames: list[bytes] = []
        start = 0
        size = len(buffer)
        while size - start >= 4:
            length = int.from_bytes(buffer[start : start + 4], "big")
            if length < HEADER_SIZE or length > MAX_PDU:
                raise ProtocolError(f"invalid command_length {length}")
            if size - start < length:
                break
            frames.append(bytes(buffer[start : start + length]))
            start += length
        if start:
            del buffer[:start]
        return frames


class Writer:
    """Coalesces the PDUs written in one turn of the event loop into one socket write."""

    __slots__ = ("_chunks", "_scheduled", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._chunks: list[bytes] = []
        self._scheduled = False

    @property
    def closing(self) -> bool:
        return self.transport.is_closing()

    def write(self, data: bytes) -> bool:
        """Queue ``data``; False when the connection is closing."""
        if self.transport.is_closing():
            return False
        self._chunks.append(data)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)
        return True

    def flush(self) -> None:
        self._scheduled = False
        if self._chunks and not self.transport.is_closing():
            self.transport.write(b"".join(self._chunks))
        self._chunks.clear()

    def close(self) -> None:
        """Write what is queued, then close (the transport sends it before the FIN)."""
        self.flush()
        self.transport.close()
