"""An SMSC simulator: a real SMPP 3.4 server for tests, benchmarks and people.

``signalpost smsc-sim --port 2775`` runs it; see :mod:`signalpost.smsc.server` for its
behaviour and faults, and :mod:`signalpost.smsc.control` for the control port.
"""

from signalpost.smsc.behaviour import Script
from signalpost.smsc.server import SmscSimulator
from signalpost.smsc.settings import SimulatorSettings
from signalpost.smsc.traffic import Submitted

__all__ = ["Script", "SimulatorSettings", "SmscSimulator", "Submitted"]
