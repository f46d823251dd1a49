"""The order in which a route's carriers are offered a message: pure functions, no I/O.

A route lists carriers either in order of preference (the first usable one takes every
message) or with weights, splitting traffic in proportion.  A weighted route gives each
message its own order of the carriers, drawn by weighted sampling without replacement
(Efraimidis-Spirakis): each carrier of weight ``w`` scores ``ln(u) / w`` with ``u`` in
(0, 1) taken from a hash of the message's key and the carrier's name, and the highest
score comes first.  So:

- the first carrier is ``i`` with probability ``w_i / sum(w)``, and, because the scores
  are independent, the first of any subset (the carriers usable at that moment) is ``i``
  with probability ``w_i`` over that subset's total: traffic splits in proportion among the
  carriers that can take it, and a carrier that cannot gets nothing;
- the order is a function of the key (the message id): a message retried, or claimed again
  after a worker died, meets the carriers in the same order, and failover follows that
  order too;
- carriers of weight 0 are standby: offered a message only after every weighted one, in
  the order the route lists them.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence

__all__ = ["weighted_order"]

_SPAN = float(1 << 64)


def _uniform(key: str, name: str) -> float:
    """A number in (0, 1), uniform over keys, fixed for a key and a name."""
    digest = hashlib.blake2b(f"{key}\x00{name}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / _SPAN


def weighted_order(carriers: Sequence[tuple[str, int]], key: str | None = None) -> list[str]:
    """The carriers of a weighted route (``(name, weight)``, weights >= 0) in the order this
    message is offered to them; ``key`` fixes the order (a random one without it)."""
    seed = key if key is not None else os.urandom(8).hex()
    weighted = [(math.log(_uniform(seed, name)) / w, name) for name, w in carriers if w > 0]
    ordered = [name for _, name in sorted(weighted, key=lambda s: s[0], reverse=True)]
    return ordered + [name for name, w in carriers if w <= 0]
