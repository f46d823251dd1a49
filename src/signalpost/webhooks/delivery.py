"""One HTTP attempt at delivering a webhook.

:class:`Deliverer` POSTs through the process's :class:`~signalpost.egress.EgressClient`
(one guarded connection pool: the target is resolved once, every address is vetted and
the connection goes to a vetted one; redirects are not followed; every attempt has a
total deadline) and keeps at most ``response_body_limit`` bytes of the answer.  Failures
never raise: they come back as an :class:`~signalpost.webhooks.schemas.AttemptResult`
whose ``error`` is the :class:`~signalpost.egress.EgressError` kind and its message
(``connect: connection refused by 127.0.0.1:9001``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from signalpost.egress import EgressClient, EgressError
from signalpost.timeutil import now_us
from signalpost.webhooks.schemas import AttemptResult, DeliveryPolicy

__all__ = ["USER_AGENT", "Deliverer"]

USER_AGENT = "Signalpost-Webhooks/1.0"


def _two_hundred(status: int, body: bytes) -> bool:
    del body
    return 200 <= status < 300


class Deliverer:
    """Makes delivery attempts through the process's guarded :class:`EgressClient`."""

    def __init__(self, policy: DeliveryPolicy, client: EgressClient) -> None:
        self.policy = policy
        self.client = client

    async def aclose(self) -> None:
        await self.client.aclose()

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
        is_success: Callable[[int, bytes], bool] = _two_hundred,
    ) -> AttemptResult:
        """POST ``body`` to ``url``; never raises for the receiver's or network's faults.

        ``is_success`` decides whether the answer acknowledges the event (default: 2xx).
        """
        limit = min(timeout or self.policy.timeout_seconds, self.policy.max_timeout_seconds)
        at = now_us()
        started = time.perf_counter()
        try:
            reply = await self.client.post(
                url, body, headers, timeout=limit, read_limit=self.policy.response_body_limit
            )
        except EgressError as exc:
            failure = f"{exc.kind}: {exc}"[:500]
            return AttemptResult(False, None, _elapsed_ms(started), None, failure, at)
        latency = _elapsed_ms(started)
        status, answer = reply.status, reply.body
        text = answer.decode("utf-8", "replace") if answer else None
        error: str | None = None
        if 300 <= status < 400:
            error = f"HTTP {status}: redirect not followed"
        elif not is_success(status, answer):
            error = f"HTTP {status}"
        return AttemptResult(error is None, status, latency, text, error, at)


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
