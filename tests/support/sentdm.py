"""Events signed as sent.dm signs its webhooks (Standard Webhooks headers under sent.dm's
``x-webhook-*`` names), for posting to a sent.dm carrier's callback URL."""

from __future__ import annotations

import time
from typing import Any

import orjson

from signalpost.webhooks.signing import standard_signature


def signed_event(
    secret: str, event: dict[str, Any], *, webhook_id: str = "wh-1", at: int | None = None
) -> tuple[dict[str, str], bytes]:
    """The headers and body of ``event`` as sent.dm delivers it, signed at ``at`` (now)."""
    body = orjson.dumps(event)
    at = int(time.time()) if at is None else at
    headers = {
        "x-webhook-id": webhook_id,
        "x-webhook-timestamp": str(at),
        "x-webhook-signature": standard_signature(secret, webhook_id, at, body),
    }
    return headers, body
