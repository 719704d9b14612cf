"""Token-bucket rate limiter for the Halvard Freight shipment-tracking API.

Every API client (identified by its API key) gets its own bucket. A bucket
refills continuously at ``REQUESTS_PER_MINUTE / 60`` tokens per second and can
hold at most ``BURST_SIZE`` tokens, so a client may send a short burst of
requests and is then held to the sustained rate.

The limits were agreed with the customer integration team in ticket API-1187:
120 requests per minute sustained, with a burst of 20 requests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict

REQUESTS_PER_MINUTE = 120
BURST_SIZE = 20
#: Buckets idle for longer than this many seconds are dropped to save memory.
IDLE_EVICTION_SECONDS = 900


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class Decision:
    """Outcome of a rate-limit check, ready to be turned into HTTP headers."""

    allowed: bool
    remaining: int
    retry_after: float = 0.0  # seconds until one token is available


@dataclass
class TokenBucketLimiter:
    """Per-client token-bucket limiter.

    :param rate_per_minute: sustained number of requests allowed per minute.
    :param burst: bucket capacity, i.e. the largest allowed burst.
    :param clock: monotonic clock, injectable for tests.
    """

    rate_per_minute: int = REQUESTS_PER_MINUTE
    burst: int = BURST_SIZE
    clock: Callable[[], float] = time.monotonic
    _buckets: Dict[str, _Bucket] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def refill_per_second(self) -> float:
        return self.rate_per_minute / 60.0

    def check(self, client_id: str, cost: float = 1.0) -> Decision:
        """Try to consume ``cost`` tokens for ``client_id``.

        Returns a :class:`Decision`; when ``allowed`` is false the caller
        should answer with HTTP 429 and a ``Retry-After`` header.
        """
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client_id)
            if bucket is None:
                bucket = _Bucket(tokens=float(self.burst), updated=now)
                self._buckets[client_id] = bucket
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.refill_per_second)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return Decision(True, int(bucket.tokens))
            missing = cost - bucket.tokens
            return Decision(False, 0, retry_after=missing / self.refill_per_second)

    def evict_idle(self) -> int:
        """Remove buckets unused for ``IDLE_EVICTION_SECONDS``; return how many."""
        cutoff = self.clock() - IDLE_EVICTION_SECONDS
        with self._lock:
            stale = [k for k, b in self._buckets.items() if b.updated < cutoff]
            for key in stale:
                del self._buckets[key]
        return len(stale)


def rate_limit_headers(decision: Decision, limit: int = REQUESTS_PER_MINUTE) -> Dict[str, str]:
    """Build the response headers sent by the tracking API gateway."""
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(decision.remaining)}
    if not decision.allowed:
        headers["Retry-After"] = str(max(1, round(decision.retry_after)))
    return headers


if __name__ == "__main__":
    fake_now = [0.0]
    limiter = TokenBucketLimiter(clock=lambda: fake_now[0])
    allowed = sum(limiter.check("client-demo").allowed for _ in range(25))
    print(f"burst of 25 requests: {allowed} allowed")  # 20 allowed
    fake_now[0] += 1.0  # one second later two tokens have refilled
    print("after 1s:", limiter.check("client-demo"))
