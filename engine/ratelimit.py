"""Per-key token buckets held in this process's memory (the public look-up, failed logins).

`now` (seconds) may be given by the caller, so that the engine's injected clock drives them; else the
bucket's own monotonic clock.

Behind several app processes each keeps its own buckets, so a client gets up to N times the limit: enough
against guessing; a shared limit belongs in the reverse proxy.
"""
from __future__ import annotations

import threading
import time


class TokenBucket:
    """Per-key token buckets: `capacity` requests at once, refilled at capacity/period per second."""

    def __init__(self, capacity: int, period: float, clock=time.monotonic, max_keys: int = 10_000):
        self.capacity, self.rate, self.clock, self.max_keys = capacity, capacity / period, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token; return 0 if allowed, else the seconds until a token is available."""
        with self._lock:
            now = self.clock() if now is None else now
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)
            return 0.0

    def wait(self, key: str, now: float | None = None) -> float:
        """The seconds until `key` may spend a token (0 if it may now); spends nothing."""
        with self._lock:
            now = self.clock() if now is None else now
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets refilled to capacity (they behave like new ones), keeping memory bounded."""
        for key, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.rate >= self.capacity:
                del self._buckets[key]
