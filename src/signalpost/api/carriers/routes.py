"""``POST /carriers/{name}/events``: a provider's signed status events.

The carrier verifies the signature and reads its own event format; the receipts are
applied in one transaction before the provider gets its 200, so an event is either applied
or retried by the provider.  Applying is idempotent: a repeated event finds the message
already in that state (receipts apply by rank) and changes nothing.
"""

from __future__ import annotations

from pydantic import BaseModel

from signalpost.api.native.answers import NativeError
from signalpost.api.native.errors import render_error
from signalpost.carriers.http import BadEvent, HttpCarrier
from signalpost.context import Context
from signalpost.errors import NotFound, Unauthorized
from signalpost.http import Request, Response, Router, json_response
from signalpost.http.router import Reply

__all__ = ["build_router"]


class CarrierNotFound(NotFound):
    """No HTTP carrier of that name is configured."""


class BadSignature(Unauthorized):
    """The event is not signed with this carrier's webhook secret."""


class Received(BaseModel):
    """The events were applied."""

    received: int


ANSWERS = {
    200: Reply("applied", Received),
    401: Reply("not signed with the carrier's webhook secret", NativeError),
    404: Reply("no HTTP carrier of that name", NativeError),
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
            receipts = carrier.parse_event(request.headers, body)
        except BadEvent as exc:
            raise BadSignature(str(exc)) from exc
        await ctx.dispatcher.apply_receipts(carrier.name, receipts)
        return json_response({"received": len(receipts)})

    return router
