"""Where a comparison runs: one small interface, two implementations.

``submit(job) -> handle``, ``status(handle)``, ``cancel(handle)`` and
``result(handle)`` are all a caller (the CLI, the dashboard's background
training, the corpus runner) uses, so none of them knows where the work runs:

- **in-process** (:mod:`engine.executors.local`): a thread of this process,
  today's behaviour and the default (``make run`` and the tests need no server);
- **Ray** (:mod:`engine.executors.ray_executor`): a Ray task on a cluster,
  chosen by ``ADVISOR_RAY_ADDRESS`` (``auto``, ``ray://host:10001``, or
  ``local`` to start a Ray instance on this machine). Ray is an optional
  requirement (``requirements-ray.txt``), imported only then.

An unreachable cluster is refused with one message (:class:`ExecutorUnavailable`,
a :class:`engine.data.DataError`, so the CLI exits 2 and the page shows one
line): falling back to training in the web server would bring back the very
overload a cluster is there to take away, silently.
"""

from __future__ import annotations

import abc
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from engine.data import DataError

__all__ = [
    "RAY_ADDRESS_ENV", "Executor", "ExecutorUnavailable", "Handle", "Job", "JobFailed", "JobState", "JobStatus",
    "ProgressLog", "Resources", "configured_address", "current", "reset", "run_to_end",
]

RAY_ADDRESS_ENV = "ADVISOR_RAY_ADDRESS"

#: Progress callback a job reports through: (message, overall fraction done in 0..1).
Progress = Callable[[str, float], None]


class ExecutorUnavailable(DataError):
    """The configured executor cannot take work (e.g. the Ray cluster is unreachable): one line for the user."""


class JobFailed(RuntimeError):
    """A job ended without a result for a reason that is not the user's input (its worker died, say): one line."""


class JobState(str, Enum):
    QUEUED = "queued"  # submitted, waiting for a worker (Ray: for the cluster's resources)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Resources:
    """What one job asks of a worker. Ray schedules by it; in-process it is informative only."""

    cpus: float = 2.0  # one PyTorch and one LightGBM thread (engine.capacity: two cores per training)
    memory_bytes: int | None = None
    gpus: float = 0.0


@dataclass(frozen=True)
class Handle:
    """A submitted job: an unguessable id and the executor that holds it."""

    id: str
    executor: str


@dataclass
class JobStatus:
    """A snapshot of a job: its state, its last progress line and steps, and where it runs."""

    state: JobState
    message: str = ""
    fraction: float = 0.0
    steps: list[str] = field(default_factory=list)
    error: str | None = None
    where: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Job(Protocol):
    """Work an executor can run: ``run(progress, placement)`` returns a picklable result."""

    resources: Resources

    def run(self, progress: Progress, placement: dict[str, Any]) -> Any: ...


class ProgressLog:
    """The last progress line and the distinct steps so far (the text before a line's first colon)."""

    def __init__(self) -> None:
        self.message, self.fraction, self.steps = "", 0.0, []

    def add(self, message: str, fraction: float) -> None:
        step = message.split(":", 1)[0]
        if not self.steps or self.steps[-1] != step:
            self.steps.append(step)
        self.message, self.fraction = message, min(max(float(fraction), 0.0), 1.0)


class Executor(abc.ABC):
    """Runs jobs somewhere; every method but ``result`` returns at once."""

    name: str

    @abc.abstractmethod
    def submit(self, job: Job) -> Handle:
        """Start ``job`` (or queue it) and return its handle."""

    @abc.abstractmethod
    def status(self, handle: Handle) -> JobStatus:
        """Where ``handle`` stands now."""

    @abc.abstractmethod
    def cancel(self, handle: Handle) -> None:
        """Ask the job to stop: a queued job never starts, a running one stops at its next step."""

    @abc.abstractmethod
    def result(self, handle: Handle, timeout: float | None = None) -> Any:
        """Wait for the job and return its result, then forget it.

        Raises :class:`engine.capacity.Cancelled` when it was cancelled,
        :class:`engine.data.DataError` for unusable input, :class:`JobFailed`
        when it ended otherwise without a result, and ``TimeoutError`` when
        ``timeout`` passes first (the job is then kept).
        """

    def capacity(self) -> int | None:
        """How many jobs it runs at once by its own reckoning (None: no opinion; the app's limit decides)."""
        return None


def configured_address() -> str | None:
    """``ADVISOR_RAY_ADDRESS``, stripped; None when unset or empty (the in-process executor)."""
    address = os.environ.get(RAY_ADDRESS_ENV, "").strip()
    return address or None


_current: dict[str | None, Executor] = {}
_current_lock = threading.Lock()


def current() -> Executor:
    """The executor ``ADVISOR_RAY_ADDRESS`` chooses, made once per address (raises :class:`ExecutorUnavailable`)."""
    address = configured_address()
    with _current_lock:
        if address not in _current:
            if address is None:
                from engine.executors.local import InProcessExecutor

                _current[address] = InProcessExecutor()
            else:
                from engine.executors.ray_executor import RayExecutor

                _current[address] = RayExecutor(address)  # connects now, so an unreachable cluster is one error here
        return _current[address]


def reset() -> None:
    """Forget every executor made by :func:`current` (tests that start and stop a Ray instance)."""
    with _current_lock:
        _current.clear()


def run_to_end(job: Job, executor: Executor | None = None, progress: Progress | None = None,
               poll_seconds: float = 0.2) -> Any:
    """Submit ``job`` and wait for its result, passing on progress lines (the CLI and the corpus runner)."""
    executor = executor or current()
    handle = executor.submit(job)
    seen = ("", -1.0)
    while True:
        status = executor.status(handle)
        if progress is not None and (status.message, status.fraction) != seen and status.message:
            seen = (status.message, status.fraction)
            progress(*seen)
        if status.done:
            return executor.result(handle)
        time.sleep(poll_seconds)
