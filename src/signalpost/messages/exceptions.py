"""Errors of the messages domain."""

from __future__ import annotations

from signalpost.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed

__all__ = [
    "InvalidMessageId",
    "MessageKeyTaken",
    "MessageNotFound",
    "MessageNotOwned",
    "NotCancellable",
    "TemplateNotFound",
]


class MessageNotFound(NotFound):
    """Message not found."""

    code = "message_not_found"


class MessageNotOwned(Forbidden):
    """The message belongs to another tenant."""

    code = "message_not_owned"


class InvalidMessageId(BadRequest):
    """Invalid message ID format."""

    code = "invalid_message_id"


class TemplateNotFound(ValidationFailed):
    """Template not found."""

    code = "template_not_found"


class MessageKeyTaken(Conflict):
    """A message with this message_key already exists."""

    code = "message_key_taken"

    def __init__(self, keys: list[str]) -> None:
        super().__init__(details={"message_key": [f"already used: {k}" for k in keys]})
        self.keys = keys


class NotCancellable(Conflict):
    """Only scheduled or queued messages can be cancelled."""

    code = "not_cancellable"
