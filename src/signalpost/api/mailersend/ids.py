"""How Signalpost's UUIDs appear as MailerSend ids, and back.

- A send (``sms_message_id``, Signalpost's ``batch_id``) made through this dialect gets a
  24-hex object id like MailerSend's own (4 bytes of Unix seconds, then 8 random bytes);
  its batch id is that object id followed by eight zeros, read as a UUID, so the mapping
  is exact both ways.  A send made through another dialect shows its batch UUID as 32 hex
  digits, which maps back just as exactly.
- A per-recipient SMS id (``sms[].id``) is the first 24 hex digits of the message UUID (a
  time-ordered UUID: its millisecond, then at least 42 random bits), never looked up by the
  API, shown to tell a send's recipients apart.
- Numbers, recipients, webhooks and inbound routes show their UUID as 32 lower-case hex
  digits; the canonical UUID form is accepted too (the CLI prints it).
"""

from __future__ import annotations

import os
import re
import time
import uuid

from signalpost.http.router import Param

__all__ = [
    "ID",
    "SEND_ID",
    "batch_of",
    "id_param",
    "new_send_id",
    "object_id",
    "short_id",
    "sms_id",
    "uuid_of",
]

_HEX24 = re.compile(r"[0-9a-f]{24}")
_PADDING = "0" * 8

_HEX = "[0-9a-fA-F]"
_UUID = f"{_HEX}{{32}}|{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
ID = {"type": "string", "pattern": f"^({_UUID})$"}
"""An id of a number, recipient, webhook or inbound route: 32 hex digits or a dashed UUID."""
SEND_ID = {"type": "string", "pattern": f"^({_HEX}{{24}}|{_UUID})$"}
"""An ``sms_message_id``: 24 hex digits (a send made here), 32, or a dashed UUID."""


def id_param(description: str, *, required: bool = False) -> Param:
    """A documented id parameter (path or query)."""
    return Param(description, ID, required=required)


def new_send_id(now_seconds: int | None = None) -> tuple[str, str]:
    """A fresh ``(object id, batch UUID)`` pair for a send."""
    seconds = int(time.time()) if now_seconds is None else now_seconds
    oid = (seconds & 0xFFFFFFFF).to_bytes(4, "big").hex() + os.urandom(8).hex()
    return oid, str(uuid.UUID(oid + _PADDING))


def object_id(batch_id: str) -> str:
    """The MailerSend ``sms_message_id`` of a batch."""
    digits = uuid.UUID(batch_id).hex
    return digits[:24] if digits.endswith(_PADDING) else digits


def batch_of(raw: str) -> str | None:
    """The batch UUID an ``sms_message_id`` names, or None when it cannot name one."""
    text = raw.strip().lower()
    if _HEX24.fullmatch(text):
        return str(uuid.UUID(text + _PADDING))
    return uuid_of(text)


def sms_id(message_id: str) -> str:
    """The MailerSend id of one recipient's SMS."""
    return uuid.UUID(message_id).hex[:24]


def short_id(value: str) -> str:
    """A UUID as 32 lower-case hex digits."""
    return uuid.UUID(value).hex


def uuid_of(raw: str) -> str | None:
    """The canonical UUID of a 32-hex or dashed id, or None when it is neither."""
    text = raw.strip()
    if len(text) not in (32, 36):
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
