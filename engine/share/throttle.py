"""Attempt throttling: a short exponential back-off per key (a session, a client address) after each failure.

Pure Python and thread-safe, shared by every session of a server process.
After the n-th failure in a row, every key involved waits
``base * 2 ** (n - 1)`` seconds (at most ``ceiling``) before its next attempt
is even checked; a success clears the keys. Old keys are forgotten, so the
table stays small however many addresses try.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Hashable

__all__ = ["AttemptThrottle"]


class AttemptThrottle:
    """Failures per key and when each key may try again."""

    def __init__(self, base_seconds: float = 1.0, ceiling_seconds: float = 60.0, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base, self.ceiling, self.max_keys, self._clock = base_seconds, ceiling_seconds, max_keys, clock
        self._state: OrderedDict[Hashable, tuple[int, float]] = OrderedDict()  # key -> (failures, allowed from)
        self._lock = threading.Lock()

    def wait_seconds(self, keys: Iterable[Hashable]) -> float:
        """Seconds before any of ``keys`` may try again (0: now)."""
        now = self._clock()
        with self._lock:
            return max((self._state[k][1] - now for k in keys if k in self._state), default=0.0) if keys else 0.0

    def failed(self, keys: Iterable[Hashable]) -> float:
        """Record a failure for every key; returns the longest wait it imposes."""
        now = self._clock()
        longest = 0.0
        with self._lock:
            for key in keys:
                failures = self._state.get(key, (0, now))[0] + 1
                delay = min(self.base * 2 ** (failures - 1), self.ceiling)
                self._state[key] = (failures, now + delay)
                self._state.move_to_end(key)
                longest = max(longest, delay)
            while len(self._state) > self.max_keys:
                self._state.popitem(last=False)
        return longest

    def succeeded(self, keys: Iterable[Hashable]) -> None:
        with self._lock:
            for key in keys:
                self._state.pop(key, None)

    def failures(self, key: Hashable) -> int:
        with self._lock:
            return self._state.get(key, (0, 0.0))[0]
