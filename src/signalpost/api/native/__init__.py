"""The native Signalpost API, v1."""

from signalpost.api.native.routes import DIALECT

__all__ = ["DIALECT"]
