"""An SMSC simulator: a real SMPP 3.4 server for tests, benchmarks and people.

``signalpost smsc-sim --port 2775`` runs it; see :mod:`signalpost.smsc_sim.server` for its
behaviour and faults, and :mod:`signalpost.smsc_sim.control` for the control port.
"""

from signalpost.smsc_sim.behaviour import Script
from signalpost.smsc_sim.server import SmscSimulator
from signalpost.smsc_sim.settings import SimulatorSettings
from signalpost.smsc_sim.traffic import Submitted

__all__ = ["Script", "SimulatorSettings", "SmscSimulator", "Submitted"]
