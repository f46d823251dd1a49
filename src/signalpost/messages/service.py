"""The messages service as the dialects call it: accept sends, read, list and cancel messages.

* :mod:`~signalpost.messages.sending` — a send, checked (:mod:`~signalpost.messages.send_checks`)
  and stored (:mod:`~signalpost.messages.send_rows`) under a :mod:`~signalpost.messages.policy`;
* :mod:`~signalpost.messages.lookups` — messages by id, key, send request or filter, and
  a message's version (what a view of it may be reused by);
* :mod:`~signalpost.messages.cancelling` — calling a message off before it is sent.
"""

from signalpost.messages.cancelling import cancel
from signalpost.messages.lookups import (
    find_by_keys,
    get_batch,
    get_many,
    get_message,
    get_version,
    list_batches,
    list_messages,
    parse_message_id,
    version_of,
)
from signalpost.messages.policy import SLICE, SendPolicy
from signalpost.messages.sending import send

__all__ = [
    "SLICE",
    "SendPolicy",
    "cancel",
    "find_by_keys",
    "get_batch",
    "get_many",
    "get_message",
    "get_version",
    "list_batches",
    "list_messages",
    "parse_message_id",
    "send",
    "version_of",
]
