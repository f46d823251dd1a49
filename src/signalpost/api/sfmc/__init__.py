"""The Salesforce Marketing Cloud transactional SMS dialect.

A translator only: ``/v2/token`` (client credentials), ``/messaging/v1/sms/...`` (send
definitions, sends, send status, the not-sent feed) and ``/platform/v1/ens-...`` (Event
Notification Service) over the core services.  Both of Marketing Cloud's hosts are this
server: the token's ``rest_instance_url`` points back at it.
"""

from __future__ import annotations

from signalpost.api.kit import Dialect
from signalpost.api.sfmc import definitions, messages  # noqa: F401 (they declare on sms)
from signalpost.api.sfmc.base import SfmcState, authenticate, no_limit_headers, sms
from signalpost.api.sfmc.errors import render_error
from signalpost.api.sfmc.events import SfmcEnsFormat
from signalpost.api.sfmc.routes_auth import auth
from signalpost.api.sfmc.routes_ens import ens_routes
from signalpost.api.sfmc.schemas import SfmcErrorOut

__all__ = ["DIALECT"]

DIALECT = Dialect[SfmcState](
    name="sfmc",
    state=SfmcState,
    routes=(auth, sms, ens_routes),
    render_error=render_error,
    authenticate=authenticate,
    limiter=lambda state: state.limits,
    default_limits=(),  # only status lookups count ("status", per tenant)
    limit_headers=no_limit_headers,
    error_model=SfmcErrorOut,
    auth_errors=(401,),
    body_errors=(400,),
    path_errors=(404,),
    webhook_formats=(SfmcEnsFormat(),),
)
