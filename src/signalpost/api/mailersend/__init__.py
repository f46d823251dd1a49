"""The MailerSend SMS API (v1): code written against it works by changing the base URL."""

from signalpost.api.mailersend import events  # registers the webhook format
from signalpost.api.mailersend.routes import DIALECT

__all__ = ["DIALECT", "events"]
