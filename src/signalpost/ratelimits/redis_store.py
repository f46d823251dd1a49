"""Rate-limit windows in Redis (``SIGNALPOST_REDIS_URL``): a key per limit and caller.

One script call adds a batch of hits: ``INCRBY`` each key, and where that made the key (no
window, or its window expired) give it the period as its time to live, so ended windows
leave Redis on their own.  The script runs atomically, so counts are exact across every
process sharing the Redis.  Its keys are not confined to one hash slot: use a single Redis
(or a primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import ConnectionPool
from redis.exceptions import NoScriptError, ResponseError

from signalpost.ratelimits.counting import STORE_TIMEOUT_SECONDS, WindowStore

__all__ = ["KEY_PREFIX", "RedisWindowStore"]

KEY_PREFIX = "signalpost:ratelimit:"

# KEYS: the windows; ARGV: hits and period in milliseconds of each, in turn.
# Returns each key's count and milliseconds to live, in turn.
_ADD = """
local out = {}
for i, key in ipairs(KEYS) do
  local hits = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local count = redis.call('INCRBY', key, hits)
  local ttl = -1
  if count ~= hits then
    ttl = redis.call('PTTL', key)
  end
  if ttl < 0 then
    redis.call('PEXPIRE', key, period)
    ttl = period
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out
"""


class RedisWindowStore(WindowStore):
    """Windows in Redis over one connection of the ``redis`` package's asyncio client.

    A :class:`~signalpost.ratelimits.counting.SharedCounter` has at most one batch on its
    way, so one connection serves it; talking to it directly skips the pool and the
    client's command wrapper, which cost more than the round trip on the lookup path.
    The connection is made when first needed and made again after an error; it times out
    after :data:`~signalpost.ratelimits.counting.STORE_TIMEOUT_SECONDS`.
    """

    name = "Redis"

    def __init__(self, url: str, *, prefix: str = KEY_PREFIX) -> None:
        pool = ConnectionPool.from_url(
            url,
            socket_timeout=STORE_TIMEOUT_SECONDS,
            socket_connect_timeout=STORE_TIMEOUT_SECONDS,
        )
        self._conn: Any = pool.connection_class(**pool.connection_kwargs)
        self.prefix = prefix
        self._sha = hashlib.sha1(_ADD.encode()).hexdigest()

    async def add(self, hits: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
        args: list[str | int] = [self.prefix + h[0] for h in hits]
        for _key, count, period in hits:
            args += (count, max(1, -(-period // 1000)))  # µs to whole ms, rounded up
        try:
            out = await self._call("EVALSHA", self._sha, len(hits), *args)
        except NoScriptError:  # a new or flushed Redis: load the script, once
            out = await self._call("EVAL", _ADD, len(hits), *args)
        return [(int(out[i]), int(out[i + 1]) * 1000) for i in range(0, len(out), 2)]

    async def _call(self, *command: str | int) -> Any:
        conn = self._conn
        try:
            await conn.send_command(*command)
            return await conn.read_response()
        except ResponseError:
            raise  # an answer: the connection is fine
        except BaseException:
            await conn.disconnect(nowait=True)  # half a conversation: start afresh
            raise

    async def close(self) -> None:
        await self._conn.disconnect()
