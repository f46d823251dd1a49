"""The messages service as the dialects call it: accept sends, read, list and cancel messages.

* :mod:`~signalpost.messages.sending` — a send, checked (:mod:`~signalpost.messages.send_checks`)
  and stored (:mod:`~signalpost.messages.send_rows`) under a :mod:`~signalpost.messages.policy`;
* :mod:`~signalpost.messages.lookups` — messages by id, key, send request or filter;
* :mod:`~signalpost.messages.views` — rendered views reused while a message is unchanged;
* :mod:`~signalpost.messages.cancelling` — calling a message off before it is sent.
"""

from signalpost.messages.cancelling import cancel
from signalpost.messages.lookups import (
    find_by_keys,
    get_batch,
    get_many,
    get_message,
    list_batches,
    list_messages,
    parse_message_id,
)
from signalpost.messages.policy import SLICE, SendPolicy
from signalpost.messages.sending import send
from signalpost.messages.views import Render, ViewCache, message_view

__all__ = [
    "SLICE",
    "Render",
    "SendPolicy",
    "ViewCache",
    "cancel",
    "find_by_keys",
    "get_batch",
    "get_many",
    "get_message",
    "list_batches",
    "list_messages",
    "message_view",
    "parse_message_id",
    "send",
]
