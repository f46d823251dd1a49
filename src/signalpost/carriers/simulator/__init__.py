"""The built-in carrier simulator: behaves like a carrier, decided by the destination number.

| last four digits | outcome |
| --- | --- |
| 0001 | failed: undeliverable (DELIVERY_001, network error 001) |
| 0002 | rejected by the network (DELIVERY_003) |
| 0003 | expired at the carrier (DELIVERY_002) |
| 0004 | the first two submits fail transiently, the third is delivered |
| 0005 | accepted, no receipt ever (the message expires when its validity runs out) |
| anything else | delivered; on WhatsApp and RCS, delivered then read |

It keeps its state in the platform's database, like a real SMSC keeps its own, so submits
and pending receipts survive a restart, and every process of a deployment shares one
simulator.  Submits are idempotent by attempt id.
"""

from signalpost.carriers.simulator.carrier import SimulatorCarrier
from signalpost.carriers.simulator.outcomes import Outcome, outcome_for

__all__ = ["Outcome", "SimulatorCarrier", "outcome_for"]
