"""SMPP 3.4 carrier connections: submits with multipart tracking, receipts, inbound messages.

* :mod:`~signalpost.carriers.smpp.session` — one ESME session; ``connection`` keeps binds up;
* :mod:`~signalpost.carriers.smpp.outbound` — the submit_sm of a part (addresses, validity);
* :mod:`~signalpost.carriers.smpp.inbound` — mobile-originated messages, reassembled;
* :mod:`~signalpost.carriers.smpp.status` — command_status, receipts and the multipart rule;
* :mod:`~signalpost.carriers.smpp.ledger` — parts, parked receipts and message outcomes;
* :mod:`~signalpost.carriers.smpp.carrier` — :class:`SmppCarrier`;
* :mod:`~signalpost.carriers.smpp.config` — connections and routes from JSON or TOML.

The wire format (PDUs, short message text, receipt texts) is :mod:`signalpost.smpp`,
shared with the SMSC simulator.
"""

from signalpost.carriers.smpp.carrier import SmppCarrier
from signalpost.carriers.smpp.config import ConfigError, ConnectionConfig, SmppConfig, load_config

__all__ = ["ConfigError", "ConnectionConfig", "SmppCarrier", "SmppConfig", "load_config"]
