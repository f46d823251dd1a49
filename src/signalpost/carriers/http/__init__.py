"""Carriers that are providers reached over HTTP (sent.dm v3, MailerSend SMS)."""

from __future__ import annotations

from signalpost.carriers.http.base import BadEvent, HttpCarrier, ProviderEvents, UnownedInbound
from signalpost.carriers.http.config import ProviderConfig, parse_providers
from signalpost.carriers.http.sentdm import SentDmCarrier

__all__ = [
    "BadEvent",
    "HttpCarrier",
    "ProviderConfig",
    "ProviderEvents",
    "SentDmCarrier",
    "UnownedInbound",
    "parse_providers",
]
