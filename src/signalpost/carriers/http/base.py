"""What HTTP carriers share: submits within a concurrency and rate, the provider's error
answers classified, polling for messages whose events are overdue.

The ``rate`` (requests per second) is the provider's total over every process sharing the
database (:class:`~signalpost.carriers.limits.SharedRate`); ``concurrency`` is per process.

Outbound requests go through the :class:`Requester` given to the constructor: the guarded
:class:`~signalpost.egress.EgressClient` (resolves the provider's host once, vets every
address, connects only to a vetted one), or a scripted one in tests.  Error classes:

- a connection that could not be made (DNS, refused, TLS, a connect timeout), a 5xx, a
  401/403 (the account, not the message) and a 429 are TRANSIENT; a 429's ``Retry-After``
  pauses every submit to the provider until it passes (the carrier is not ``available``
  meanwhile, so routes fail over);
- a provider whose address is refused (loopback, private, link-local... without
  ``allow_private`` on the provider) is TRANSIENT with ``ADDRESS_REFUSED``: nothing was
  sent and the message is not at fault, so it fails over to the route's next carrier (the
  failures open the provider's circuit) or waits for the operator to fix the carriers
  file, up to ``max_submit_attempts``; the refusal is logged as an error;
- a timeout or a connection lost after the request went out is TRANSIENT with
  ``NO_RESPONSE``: the provider may have taken the message, so it is asked again (with the
  same idempotency key where the provider has them), never failed over;
- any other 4xx is PERMANENT: the message is ``failed`` with DELIVERY_008 and the
  provider's own error code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from signalpost.carriers.base import (
    NO_RESPONSE,
    Carrier,
    CarrierEvents,
    Inbound,
    Receipt,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from signalpost.carriers.http import repository
from signalpost.carriers.http.config import ProviderConfig
from signalpost.carriers.limits import SharedRate
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.egress import (
    AddressRefused,
    ConnectFailed,
    ConnectTimedOut,
    EgressError,
    InvalidTarget,
    Reply,
    ResolveFailed,
    TlsFailed,
)
from signalpost.storage import Database
from signalpost.timeutil import now_us

__all__ = [
    "ADDRESS_REFUSED",
    "BadEvent",
    "HttpCarrier",
    "ProviderEvents",
    "Requester",
    "UnownedInbound",
    "header",
    "json_object",
    "retry_after_seconds",
    "text",
]

log = logging.getLogger("signalpost.carriers.http")

_POLL_BATCH = 100
ADDRESS_REFUSED = "ADDRESS_REFUSED"
# Failures before anything was sent: another carrier may take the message.
_NOT_SENT = (ResolveFailed, ConnectFailed, ConnectTimedOut, TlsFailed)


class Requester(Protocol):
    """How a carrier makes requests (:class:`~signalpost.egress.EgressClient` in service)."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,
        read_limit: int = 65536,
    ) -> Reply:
        """One request; raises :class:`~signalpost.egress.EgressError` without an answer."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


class BadEvent(ValueError):
    """An event posted to a carrier's callback URL is not signed by it or not readable."""


class UnownedInbound(Exception):
    """A message received on a number the provider's configuration names no owner for."""

    def __init__(self, number: str) -> None:
        super().__init__(f"no inbound owner is configured for messages to {number}")
        self.number = number


@dataclass(frozen=True, slots=True)
class ProviderEvents:
    """What an event a provider posted reports: delivery receipts, messages it received."""

    receipts: list[Receipt] = field(default_factory=list)
    inbound: list[Inbound] = field(default_factory=list)


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """``Retry-After`` in seconds (delta form; a date or garbage gives ``default``)."""
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


class HttpCarrier(Carrier):
    """A provider's HTTP API behind the ``Carrier`` interface."""

    def __init__(self, config: ProviderConfig, db: Database, client: Requester) -> None:
        self.name = config.name
        self.config = config
        self.channels = config.channels
        self.db = db
        self.client = client
        self._slots = asyncio.Semaphore(config.concurrency)
        self._paused_until = 0.0
        self.rate = SharedRate(db, config.name, config.rate) if config.rate > 0 else None
        self._sink: CarrierEvents | None = None
        self._poller: asyncio.Task[None] | None = None
        self._polled: dict[str, float] = {}  # provider id -> when last asked, monotonic
        self._last_refusal: str | None = None

    # ------------------------------------------------------------------ provider specifics

    @abstractmethod
    async def _post(self, s: Submission) -> Reply:
        """Send one submission."""

    @abstractmethod
    def _accepted_id(self, response: Reply) -> str | None:
        """The provider's message id in a successful answer."""

    @abstractmethod
    def _error_code(self, response: Reply) -> tuple[str, str]:
        """The provider's error code and message in a refusal."""

    @abstractmethod
    async def _fetch(self, carrier_message_id: str) -> Receipt | None:
        """The message's state at the provider, as a receipt (None: nothing final yet)."""

    @abstractmethod
    def parse_event(self, headers: Mapping[str, str], body: bytes) -> ProviderEvents:
        """Verify and read an event posted to ``/carriers/{name}/events`` (raises
        :class:`BadEvent`, or :class:`UnownedInbound` for a message nobody owns)."""

    # ------------------------------------------------------------------ lifecycle

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._paused_until

    async def start(self, sink: CarrierEvents) -> None:
        self._sink = sink
        self._poller = asyncio.create_task(self._poll_loop(), name=f"http-{self.name}-poll")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.client.aclose()
        if self.rate is not None:
            await self.rate.close()

    # ------------------------------------------------------------------ submit

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        return list(await asyncio.gather(*(self._submit_one(s) for s in batch)))

    async def _submit_one(self, s: Submission) -> SubmitResult:
        async with self._slots:
            if not self.available:
                return _transient(s, "THROTTLED", "the provider asked to slow down")
            await self._pace()
            try:
                response = await self._post(s)
            except (AddressRefused, InvalidTarget) as exc:
                return _transient(s, ADDRESS_REFUSED, self._refused(exc))
            except _NOT_SENT as exc:
                return _transient(s, "CONNECTION", f"{exc.kind}: {exc}"[:200])
            except EgressError as exc:  # sent, but no answer: it may have been taken
                return _transient(s, NO_RESPONSE, f"{exc.kind}: {exc}"[:200])
        return self._classify(s, response)

    def _refused(self, exc: EgressError) -> str:
        """The reason for a provider the egress rules do not let us reach (logged once per
        distinct reason: every submit meets it until the carriers file changes)."""
        reason = f"{exc}; the provider {self.name!r} is not reachable under the egress rules"
        if isinstance(exc, AddressRefused) and not self.config.allow_private:
            reason += " (allow_private = true on the provider in the carriers file allows it)"
        if reason != self._last_refusal:
            self._last_refusal = reason
            log.error("carrier %s: %s", self.name, reason)
        return reason[:300]

    async def _pace(self) -> None:
        """Keep to the provider's rate, shared by every process on the database."""
        if self.rate is not None:
            await self.rate.wait()

    def _classify(self, s: Submission, response: Reply) -> SubmitResult:
        status = response.status
        if status < 300:
            cid = self._accepted_id(response)
            if cid:
                return SubmitResult(s.attempt_id, SubmitOutcome.ACCEPTED, carrier_message_id=cid)
            return _transient(s, "NO_MESSAGE_ID", "the provider's answer had no message id")
        code, message = self._error_code(response)
        if status == 429:
            pause = retry_after_seconds(header(response, "retry-after"))
            self._paused_until = max(self._paused_until, time.monotonic() + pause)
            return _transient(s, code or "HTTP_429", message)
        if status >= 500 or status in (401, 403, 408):
            return _transient(s, code or f"HTTP_{status}", message)
        return SubmitResult(
            s.attempt_id,
            SubmitOutcome.PERMANENT,
            status=Status.FAILED,
            reason_code=ReasonCode.SUBMIT_REFUSED.value,
            reason=message or f"The provider refused the message (HTTP {status})",
            error_code=code or f"HTTP_{status}",
        )

    # ------------------------------------------------------------------ polling

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.poll_interval_seconds)
            try:
                await self.poll_once()
            except Exception:
                log.exception("polling %s failed", self.name)

    async def poll_once(self) -> int:
        """Ask the provider about messages without news for ``poll_after_seconds``."""
        before = now_us() - int(self.config.poll_after_seconds * 1_000_000)
        async with self.db.reader() as conn:
            ids = await repository.overdue(conn, self.name, before, _POLL_BATCH)
        ids = self._not_asked_lately(ids)
        found = await asyncio.gather(*(self._fetch_quietly(cid) for cid in ids))
        receipts = [r for r in found if r is not None]
        if receipts and self._sink is not None:
            await self._sink.apply_receipts(self.name, receipts)
        return len(receipts)

    def _not_asked_lately(self, ids: list[str]) -> list[str]:
        """Each message is asked about at most once per ``poll_after_seconds``."""
        now = time.monotonic()
        gap = self.config.poll_after_seconds
        self._polled = {k: t for k, t in self._polled.items() if now - t < gap}
        fresh = [cid for cid in ids if cid not in self._polled]
        self._polled.update(dict.fromkeys(fresh, now))
        return fresh

    async def _fetch_quietly(self, carrier_message_id: str) -> Receipt | None:
        async with self._slots:
            try:
                return await self._fetch(carrier_message_id)
            except (AddressRefused, InvalidTarget) as exc:
                self._refused(exc)
                return None
            except EgressError as exc:
                log.info("polling %s for %s: %s", self.name, carrier_message_id, exc)
                return None


def _transient(s: Submission, code: str, reason: str) -> SubmitResult:
    return SubmitResult(s.attempt_id, SubmitOutcome.TRANSIENT, error_code=code, reason=reason)


def json_object(response: Reply) -> dict[str, Any]:
    """The answer's JSON object, or an empty one."""
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def text(response: Reply) -> str:
    """The answer's body as text (bytes that are not UTF-8 replaced)."""
    return response.body.decode("utf-8", "replace")


def header(response: Reply, name: str) -> str | None:
    """A header of the answer, whatever the case of its name."""
    found = response.headers.get(name)
    if found is None:
        wanted = name.lower()
        found = next((v for k, v in response.headers.items() if k.lower() == wanted), None)
    return found
