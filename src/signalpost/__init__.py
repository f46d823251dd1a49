"""Signalpost: a self-hostable SMS messaging platform."""

__version__ = "0.1.0"
