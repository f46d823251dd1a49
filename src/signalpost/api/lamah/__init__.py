"""The Lamah SMS dialect: ``/api/sms/messages...`` and ``/api/project/details``.

A translator only: a project token is an API key (of an organization or of one of its
profiles); one send request is one ``message_id`` (the core's batch), with a status per
receiver.
"""

from signalpost.api.lamah.routes import DIALECT

__all__ = ["DIALECT"]
