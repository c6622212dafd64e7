"""The GitHub write throttle every worker process shares, kept in Redis.

GitHub asks integrations to leave at least a second between content-creating requests and to
stay under 80 of them a minute (its secondary rate limits). Each write reserves the next free
slot of its installation atomically (one Lua script), then sleeps until that slot: writers in
many processes queue up fairly instead of polling.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from redis import Redis

WINDOW_SECONDS = 60.0  # the rolling minute of `per_minute`
KEY_PREFIX = "diffrisk:throttle"

# KEYS: the installation's slot set and its last slot. ARGV: now, interval, per minute, window,
# a unique member. Returns the reserved slot's delay from now, as a string (Lua numbers are
# truncated to integers on the way back).
RESERVE_SLOT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local per_minute = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local slot = now
local last = redis.call('GET', KEYS[2])
if last then slot = math.max(slot, tonumber(last) + interval) end
if per_minute > 0 then
  local count = redis.call('ZCARD', KEYS[1])
  if count >= per_minute then
    local oldest = redis.call('ZRANGE', KEYS[1], count - per_minute, count - per_minute,
                              'WITHSCORES')
    slot = math.max(slot, tonumber(oldest[2]) + window)
  end
end
local ttl = math.ceil(slot - now + window) + 1
redis.call('SET', KEYS[2], string.format('%.6f', slot), 'EX', ttl)
redis.call('ZADD', KEYS[1], slot, ARGV[5])
redis.call('EXPIRE', KEYS[1], ttl)
return string.format('%.6f', slot - now)
"""


class RedisWriteThrottle:
    """A before_write hook: waits for the installation's next write slot across all workers."""

    def __init__(self, redis: Redis, installation_id: int, min_interval: float = 1.0,
                 per_minute: int = 80, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._keys = [f"{KEY_PREFIX}:{int(installation_id)}:slots",
                      f"{KEY_PREFIX}:{int(installation_id)}:last"]
        self._min_interval = max(float(min_interval), 0.0)
        self._per_minute = max(int(per_minute), 0)
        self._sleep = sleep
        self._clock = clock
        self._script = redis.register_script(RESERVE_SLOT)
        self.waits: list[float] = []  # what this throttle made its writers wait, in order

    def reserve(self) -> float:
        """Reserve the next write slot; the seconds until it comes (0 when it is now)."""
        answer = self._script(keys=self._keys, args=[
            f"{self._clock():.6f}", self._min_interval, self._per_minute, WINDOW_SECONDS,
            uuid.uuid4().hex])
        return max(float(answer), 0.0)

    def __call__(self, method: str, path: str) -> None:
        """Block until this write may be sent (method and path are GitHubClient's)."""
        wait = self.reserve()
        self.waits.append(wait)
        if wait > 0:
            self._sleep(wait)
