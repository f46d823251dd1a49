"""Numbers a carrier reports as not in service go on the sender's suppression list.

:class:`CarrierSuppressor` observes every recorded step: a message that ends ``rejected``
or ``failed`` with :attr:`ReasonCode.INVALID_DESTINATION` (an SMSC's ``ESME_RINVDSTADR``,
a provider's "number not in service") puts its recipient on its tenant's suppression list,
source ``carrier``, in the same transaction, so the next send to a dead number is not paid
for.  Taking the number off the list (``DELETE /v1/suppressions/{number}``) undoes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalpost.accounts.schemas import Scope
from signalpost.consent import service as consent
from signalpost.consent.schemas import ConsentStatus, SuppressionSource
from signalpost.domain.lifecycle import ReasonCode
from signalpost.messages.transitions import Applied
from signalpost.storage import Connection

__all__ = ["CarrierSuppressor"]

_DEAD = ReasonCode.INVALID_DESTINATION.value
_REASON = "The carrier reported the number as invalid or not in service"


class CarrierSuppressor:
    """A recorder observer (see the module); the numbers it suppresses are told to
    ``consent_recorder``."""

    def __init__(self, consent_recorder: consent.ConsentRecorder) -> None:
        self.consent = consent_recorder

    async def __call__(self, conn: Connection, applied: Sequence[Applied]) -> None:
        by_tenant: dict[tuple[str, str], list[str]] = {}
        for step in applied:
            if step.activity.reason_code == _DEAD:
                message = step.message
                key = (message.organization_id, message.tenant_id)
                by_tenant.setdefault(key, []).append(message.to_number)
        for (organization_id, tenant_id), numbers in by_tenant.items():
            scope = Scope(organization_id, None if tenant_id == organization_id else tenant_id)
            await consent.set_status_of_numbers(
                conn,
                scope,
                numbers,
                ConsentStatus.OPTED_OUT,
                recorder=self.consent,
                reason=_REASON,
                source=SuppressionSource.CARRIER,
            )
