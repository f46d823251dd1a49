"""``POST /carriers/{name}/events``: a provider's signed status events and the messages it
received for the platform's numbers.

The carrier verifies the signature and reads its own event format; the receipts are
applied, and received messages stored, before the provider gets its 200, so an event is
either applied or retried by the provider.  Applying a receipt is idempotent: a repeated
event finds the message already in that state (receipts apply by rank) and changes nothing.
"""

from __future__ import annotations

from pydantic import BaseModel

from signalpost.api.native.answers import NativeError
from signalpost.api.native.errors import render_error
from signalpost.carriers.http import BadEvent, HttpCarrier, UnownedInbound
from signalpost.context import Context
from signalpost.errors import AppError, NotFound, Unauthorized
from signalpost.http import Request, Response, Router, json_response
from signalpost.http.router import Reply

__all__ = ["build_router"]


class CarrierNotFound(NotFound):
    """No HTTP carrier of that name is configured."""


class BadSignature(Unauthorized):
    """The event is not signed with this carrier's webhook secret."""


class NoInboundOwner(AppError):
    """A received message for a number the carrier's configuration names no owner for:
    the provider is told to deliver it again (once the configuration names one)."""

    status = 503
    code = "no_inbound_owner"


class Received(BaseModel):
    """The events were applied."""

    received: int


ANSWERS = {
    200: Reply("applied", Received),
    401: Reply("not signed with the carrier's webhook secret", NativeError),
    404: Reply("no HTTP carrier of that name", NativeError),
    503: Reply("a received message for a number with no inbound owner", NativeError),
}


def build_router(ctx: Context) -> Router:
    router = Router("/carriers", tag="carriers", render_error=render_error)

    @router.post("/{name}/events", responses=ANSWERS)
    async def events(request: Request) -> Response:
        """Status events from an HTTP carrier's provider."""
        carrier = ctx.carriers.carriers.get(request.path_params["name"])
        if not isinstance(carrier, HttpCarrier):
            raise CarrierNotFound()
        body = await request.body()
        try:
            found = carrier.parse_event(request.headers, body)
        except BadEvent as exc:
            raise BadSignature(str(exc)) from exc
        except UnownedInbound as exc:
            raise NoInboundOwner(str(exc)) from exc
        events = ctx.dispatcher.events  # the sink every carrier reports to
        await events.apply_receipts(carrier.name, found.receipts)
        await events.apply_inbound(carrier.name, found.inbound)
        return json_response({"received": len(found.receipts) + len(found.inbound)})

    return router
