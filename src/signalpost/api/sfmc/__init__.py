"""The Salesforce Marketing Cloud transactional SMS dialect.

A translator only: ``/v2/token`` (client credentials), ``/messaging/v1/sms/...`` (send
definitions, sends, send status, the not-sent feed) and ``/platform/v1/ens-...`` (Event
Notification Service) over the core services.  Both of Marketing Cloud's hosts are this
server: the token's ``rest_instance_url`` points back at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalpost.api.sfmc.base import SfmcState
from signalpost.api.sfmc.definitions import add_definition_routes
from signalpost.api.sfmc.errors import render_error
from signalpost.api.sfmc.messages import add_message_routes
from signalpost.api.sfmc.routes_auth import build_auth_router
from signalpost.api.sfmc.routes_ens import build_ens_router
from signalpost.http import Router

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["build_routers"]


def build_routers(ctx: Context) -> list[Router]:
    """Every router of the dialect, to mount on the application."""
    state = SfmcState(ctx)
    sms = Router("/messaging/v1/sms", tag="sfmc", render_error=render_error, owns=("/messaging/",))
    add_definition_routes(sms, state)
    add_message_routes(sms, state)
    return [build_auth_router(state), sms, build_ens_router(state)]
