"""How the SMSC simulator behaves: where it listens, who may bind, its delays and faults."""

from __future__ import annotations

from dataclasses import dataclass

from signalpost.smsc_sim import behaviour

__all__ = ["SimulatorSettings"]


@dataclass(slots=True)
class SimulatorSettings:
    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str | None = None  # None: any credentials bind
    password: str | None = None
    receipt_delay_ms: int = 300
    receipt_jitter: float = 0.2
    receipt_tlvs: bool = True
    deliver_window: int = 100
    throttle_rate: float = 0.0  # submit_sm per second per session; 0: never throttle
    throttle_every: int = 0  # answer ESME_RTHROTTLED to every N-th submit_sm; 0: never
    drop_every: int = 0  # drop every session after this many accepted submit_sm; 0: never
    drop_once_after: int = 0  # drop every session once, after this many accepted; 0: never
    message_ids: str = "random"  # or "decimal" / "hex": 1, 2, 3…
    receipt_text_ids: str = "same"  # or the id in "decimal" / "hex" in the receipt text
    down_seconds: float = 0.5
    early_receipts: bool = False
    duplicate_receipts: bool = False
    record: bool = False  # keep every accepted submit_sm in ``SmscSimulator.received``

    def __post_init__(self) -> None:
        if self.message_ids not in behaviour.ID_STYLES:
            raise ValueError(f"message_ids must be one of {', '.join(behaviour.ID_STYLES)}")
        if self.receipt_text_ids not in behaviour.TEXT_ID_STYLES:
            styles = ", ".join(behaviour.TEXT_ID_STYLES)
            raise ValueError(f"receipt_text_ids must be one of {styles}")
