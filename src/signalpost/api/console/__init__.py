"""The operators' console: HTML pages over the same services as the API (not a dialect:
it is mounted beside them, signed in with a session cookie, and not in the API document)."""

from signalpost.api.console.routes import CONSOLE

__all__ = ["CONSOLE"]
