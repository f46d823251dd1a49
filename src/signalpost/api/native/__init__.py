"""The native Signalpost API, v1."""

from signalpost.api.native.routes import build_router

__all__ = ["build_router"]
