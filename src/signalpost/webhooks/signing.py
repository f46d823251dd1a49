"""Signature schemes used by webhook formats: a small typed library, no I/O.

- :func:`standard_signature`: Standard Webhooks (``v1,<base64 HMAC-SHA256>`` over
  ``{id}.{timestamp}.{body}`` keyed by the base64 key inside a ``whsec_`` secret), computed
  by the ``standardwebhooks`` package so receivers using it verify byte for byte.
- :func:`hmac_sha256_hex` / :func:`hmac_sha256_base64`: a plain HMAC over the raw body, as
  several providers sign.
- :func:`new_whsec`, :func:`new_token`: secret generation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

__all__ = [
    "hmac_sha256_base64",
    "hmac_sha256_hex",
    "new_token",
    "new_whsec",
    "standard_signature",
]


def new_whsec(nbytes: int = 24) -> str:
    """A Standard Webhooks secret: ``whsec_`` followed by base64 of random bytes."""
    return "whsec_" + base64.b64encode(_secrets.token_bytes(nbytes)).decode()


def new_token(length: int = 32) -> str:
    """A random alphanumeric secret of ``length`` characters."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(_secrets.choice(alphabet) for _ in range(length))


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one secret (``v1,<base64>``)."""
    at = datetime.fromtimestamp(timestamp, UTC)
    signature: str = Webhook(secret).sign(msg_id, at, body.decode())
    return signature


def hmac_sha256_hex(key: bytes, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of ``body``."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def hmac_sha256_base64(key: bytes, body: bytes) -> str:
    """Base64 HMAC-SHA256 of ``body``."""
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
