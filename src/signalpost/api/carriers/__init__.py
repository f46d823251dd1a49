"""Callback URLs of HTTP carriers: ``POST /carriers/{name}/events``."""

from signalpost.api.carriers.routes import build_router

__all__ = ["build_router"]
