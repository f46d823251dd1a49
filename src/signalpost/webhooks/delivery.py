"""One HTTP attempt at delivering a webhook.

:class:`Deliverer` POSTs with one shared ``httpx.AsyncClient``: redirects are not followed,
the environment's proxy settings are ignored, every attempt has a total deadline, the
target is checked and pinned by :class:`~signalpost.webhooks.safety.UrlGuard`, and at
most ``response_body_limit`` bytes of the answer are read and kept.  Failures never raise:
they come back as an :class:`~signalpost.webhooks.schemas.AttemptResult` whose ``error``
names the :class:`~signalpost.webhooks.exceptions.DeliveryError` kind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

import httpx

from signalpost.timeutil import now_us
from signalpost.webhooks.exceptions import ConnectFailed, DeliveryError, ReceiverTimedOut
from signalpost.webhooks.safety import Target, UrlGuard
from signalpost.webhooks.schemas import AttemptResult, DeliveryPolicy

__all__ = ["USER_AGENT", "Deliverer"]

USER_AGENT = "Signalpost-Webhooks/1.0"

# One line per request at INFO would drown the log; attempts have their own rows.
logging.getLogger("httpx").setLevel(logging.WARNING)


def _two_hundred(status: int, body: bytes) -> bool:
    del body
    return 200 <= status < 300


class Deliverer:
    """Makes delivery attempts; ``transport`` is a seam for tests (``httpx.MockTransport``)."""

    def __init__(
        self,
        policy: DeliveryPolicy,
        guard: UrlGuard,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.guard = guard
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            connections = max(self.policy.concurrency, self.policy.endpoint_concurrency)
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(self.policy.timeout_seconds, connect=5.0),
                limits=httpx.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
                headers={"user-agent": USER_AGENT},
                transport=self._transport,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

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
            async with asyncio.timeout(limit):
                target = await self.guard.target(url)
                status, answer = await self._send(target, body, headers, limit)
        except TimeoutError:
            return _failed(ReceiverTimedOut(f"no answer within {limit:g} s"), started, at)
        except DeliveryError as exc:
            return _failed(exc, started, at)
        except httpx.HTTPError as exc:
            return _failed(_classify(exc), started, at)
        latency = _elapsed_ms(started)
        text = answer.decode("utf-8", "replace") if answer else None
        error = None
        if 300 <= status < 400:
            error = f"HTTP {status}: redirect not followed"
        elif not is_success(status, answer):
            error = f"HTTP {status}"
        return AttemptResult(error is None, status, latency, text, error, at)

    async def _send(
        self, target: Target, body: bytes, headers: Mapping[str, str], limit: float
    ) -> tuple[int, bytes]:
        request_headers = dict(headers)
        extensions: dict[str, object] = {}
        if target.host_header:
            request_headers["host"] = target.host_header
        if target.sni_hostname:
            extensions["sni_hostname"] = target.sni_hostname
        request = self._http().build_request(
            "POST",
            target.url,
            content=body,
            headers=request_headers,
            extensions=extensions,
            timeout=httpx.Timeout(limit, connect=min(limit, 5.0)),
        )
        response = await self._http().send(request, stream=True)
        try:
            answer = await self._read_limited(response)
        finally:
            await response.aclose()
        return response.status_code, answer

    async def _read_limited(self, response: httpx.Response) -> bytes:
        keep = self.policy.response_body_limit
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= keep:
                break
        return b"".join(chunks)[:keep]


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _classify(exc: httpx.HTTPError) -> DeliveryError:
    if isinstance(exc, httpx.TimeoutException):
        return ReceiverTimedOut(str(exc) or type(exc).__name__)
    if isinstance(exc, httpx.ConnectError):
        return ConnectFailed(str(exc) or "connection failed")
    return DeliveryError(f"{type(exc).__name__}: {exc}")


def _failed(exc: DeliveryError, started: float, at: int) -> AttemptResult:
    return AttemptResult(False, None, _elapsed_ms(started), None, f"{exc.kind}: {exc}"[:500], at)
