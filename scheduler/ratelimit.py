"""Token buckets for the platforms' rate limits, on the injected clock.

Telegram: about 30 messages/s in all, 1/s per private chat, 20/min per group. LINE: per endpoint.
A 429 that names a wait (`retry_after`) pauses the bucket, so every sender on it waits, not just one.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from core.clock import Clock


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: float = 1.0

    @classmethod
    def per_minute(cls, n: float, burst: float = 1.0) -> Rate:
        return cls(n / 60.0, burst)


@dataclass(frozen=True, slots=True)
class RateKey:
    name: str  # "telegram", "telegram:chat:42", "line:push", ...
    rate: Rate


class TokenBucket:
    __slots__ = ("_clock", "_lock", "_paused_until", "_stamp", "_tokens", "rate")

    def __init__(self, rate: Rate, clock: Clock) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = rate.burst
        self._stamp = clock.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()  # first come, first served

    def _refill(self, now: float) -> None:
        self._tokens = min(self.rate.burst, self._tokens + (now - self._stamp) * self.rate.per_second)
        self._stamp = now

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                if now < self._paused_until:
                    await self._clock.sleep(self._paused_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1.0 - 1e-9:  # float sums of small refills land just below 1
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return
                await self._clock.sleep((1.0 - self._tokens) / self.rate.per_second)

    def wait_s(self) -> float:
        """How long an `acquire` now would wait for its token (0 when one is ready), without taking it.

        The delivery worker asks before it waits: a chat that cannot take a message soon goes back to the
        queue instead of holding up the batch."""
        now = self._clock.monotonic()
        paused = max(0.0, self._paused_until - now)
        start = max(now, self._paused_until)
        tokens = min(self.rate.burst, self._tokens + (start - self._stamp) * self.rate.per_second)
        if tokens >= 1.0 - 1e-9:
            return paused
        return paused + (1.0 - tokens) / self.rate.per_second

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock.monotonic() + seconds)
        self._tokens = 0.0


class RateLimiter:
    """Buckets by name, made on first use; per-chat buckets beyond `max_buckets` are forgotten oldest first."""

    def __init__(self, clock: Clock, *, max_buckets: int = 20_000) -> None:
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._max = max_buckets

    def bucket(self, key: RateKey) -> TokenBucket:
        bucket = self._buckets.get(key.name)
        if bucket is None:
            bucket = self._buckets[key.name] = TokenBucket(key.rate, self._clock)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key.name)
        return bucket

    async def acquire(self, keys: Sequence[RateKey]) -> None:
        # Narrowest first (per chat), so a busy chat does not hold a token of the shared bucket while it waits.
        for key in reversed(keys):
            await self.bucket(key).acquire()

    def wait_s(self, key: RateKey) -> float:
        bucket = self._buckets.get(key.name)
        return 0.0 if bucket is None else bucket.wait_s()

    def pause(self, key: RateKey, seconds: float) -> None:
        self.bucket(key).pause(seconds)
