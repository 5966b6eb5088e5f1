"""The one source of "now" for the engine: injected everywhere, frozen and advanced in tests."""
from __future__ import annotations

import datetime as dt
import threading


class Clock:
    """Wall clock; aware UTC instants."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to (tests, `motcua escalate --now`)."""

    def __init__(self, at: dt.datetime):
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._at

    def set(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        with self._lock:
            self._at = at.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        with self._lock:
            self._at += delta
            return self._at
