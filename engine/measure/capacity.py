"""What one server shares between its users: a cap on trainings running at once, and a bounded parse cache.

Both are plain Python (threads and locks), so the dashboard uses them and
tests drive them without Streamlit. Eight sessions training at once on two
cores each took 17x their solo time, with every model cut short by its
budget; with a cap the others wait their turn in a first-come queue and see
their place in it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from engine.common.limits import env_number

__all__ = [
    "MAX_TRAININGS_ENV",
    "PARSE_CACHE_MB_ENV",
    "Cancelled",
    "TrainingQueue",
    "BoundedCache",
    "max_concurrent_trainings",
    "parse_cache_bytes",
]

MAX_TRAININGS_ENV = "ADVISOR_MAX_CONCURRENT_TRAININGS"
PARSE_CACHE_MB_ENV = "ADVISOR_PARSE_CACHE_MB"

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Cancelled(BaseException):
    """The user cancelled a comparison (raised in its thread, from the queue or a progress report).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on
    the way (a stage that tolerates a failed explainer) swallows it.
    """


def max_concurrent_trainings() -> int:
    """``ADVISOR_MAX_CONCURRENT_TRAININGS``, else one training per two cores (at least one).

    Each training uses one PyTorch and one LightGBM thread plus Python's own
    work, so two cores per training keep a run near its solo speed.
    """
    configured = os.environ.get(MAX_TRAININGS_ENV, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            pass
    return max(1, (os.cpu_count() or 1) // 2)


def parse_cache_bytes(default_mb: float = 512.0) -> int:
    """``ADVISOR_PARSE_CACHE_MB`` in bytes (0 turns the shared parse cache off), else ``default_mb``'s.

    Read when the dashboard starts: a value that is not a finite number, or is
    below zero, falls back to the default instead of stopping every page.
    """
    return int(env_number(PARSE_CACHE_MB_ENV, default_mb, lambda megabytes: megabytes >= 0) * 2**20)


class TrainingQueue:
    """At most ``capacity`` holders at once; the rest wait in arrival order (first in, first out).

    ``join`` takes a place in line; ``wait_turn`` blocks until the ticket is at
    the head and a slot is free (or raises :class:`Cancelled`); ``release``
    frees the slot or the place. ``ahead`` says how many comparisons are
    running or waiting before a ticket.
    """

    def __init__(self, capacity: int | Callable[[], int] = max_concurrent_trainings) -> None:
        self._capacity = capacity
        self._lock = threading.Condition()
        self._waiting: list[object] = []
        self._running: set[object] = set()

    @property
    def capacity(self) -> int:
        return self._capacity() if callable(self._capacity) else self._capacity

    def join(self, ticket: object) -> None:
        with self._lock:
            if ticket not in self._waiting and ticket not in self._running:
                self._waiting.append(ticket)

    def wait_turn(self, ticket: object, cancelled: threading.Event, poll_seconds: float = 0.25) -> None:
        """Block until ``ticket`` may run (it is then counted as running); raises Cancelled when ``cancelled`` is set."""
        with self._lock:
            self.join(ticket)
            while not (self._waiting and self._waiting[0] is ticket and len(self._running) < self.capacity):
                if cancelled.is_set():
                    self._waiting.remove(ticket)
                    self._lock.notify_all()
                    raise Cancelled()
                self._lock.wait(poll_seconds)
            self._waiting.pop(0)
            self._running.add(ticket)
            self._lock.notify_all()  # the next in line may fit too when capacity > 1

    def release(self, ticket: object) -> None:
        """Free ``ticket``'s slot or its place in line (a no-op for an unknown ticket)."""
        with self._lock:
            self._running.discard(ticket)
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._lock.notify_all()

    def ahead(self, ticket: object) -> int | None:
        """Comparisons before ``ticket``: those training now and those waiting in front of it; None when it runs."""
        with self._lock:
            if ticket not in self._waiting:
                return None
            return self._waiting.index(ticket) + len(self._running)

    def is_running(self, ticket: object) -> bool:
        with self._lock:
            return ticket in self._running

    def counts(self) -> tuple[int, int]:
        """(running, waiting)."""
        with self._lock:
            return len(self._running), len(self._waiting)


class BoundedCache(Generic[_K, _V]):
    """A least-recently-used cache bounded by entries, total size in bytes and age (thread-safe).

    An entry larger than the byte bound is returned but not kept. Values are
    shared between callers: they must be treated as read-only.
    """

    def __init__(self, max_entries: int, max_bytes: int, ttl_seconds: float,
                 size_of: Callable[[object], int] = sys.getsizeof, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries, self.max_bytes, self.ttl_seconds = max_entries, max_bytes, ttl_seconds
        self._size_of, self._clock = size_of, clock
        self._entries: OrderedDict[_K, tuple[_V, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: _K, make: Callable[[], _V]) -> _V:
        """The cached value for ``key``, else ``make()`` (kept when it fits the bounds)."""
        with self._lock:
            self._expire()
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        value = make()  # outside the lock: parsing a large file must not hold up other sessions
        size = int(self._size_of(value))
        with self._lock:
            if size <= self.max_bytes:
                self._entries[key] = (value, size, self._clock())
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries or self.total_bytes() > self.max_bytes:
                    self._entries.popitem(last=False)
        return value

    def total_bytes(self) -> int:
        return sum(size for _, size, _ in self._entries.values())

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, (_, _, made) in self._entries.items() if now - made > self.ttl_seconds]:
            del self._entries[key]
