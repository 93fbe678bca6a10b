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
a :class:`engine.io.data.DataError`, so the CLI exits 2 and the page shows one
line): falling back to training in the web server would bring back the very
overload a cluster is there to take away, silently.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from engine.executors.base import (
    JOB_ID_PATTERN, Executor, ExecutorUnavailable, Handle, Job, JobFailed, JobState, JobStatus, Progress, ProgressLog,
    Resources, UnknownJob, check_job_id,
)

__all__ = [
    "RAY_ADDRESS_ENV", "Executor", "ExecutorUnavailable", "Handle", "Job", "JobFailed", "JobState", "JobStatus",
    "ProgressLog", "Resources", "UnknownJob", "JOB_ID_PATTERN", "check_job_id", "configured_address", "current", "reset",
    "run_to_end",
]

RAY_ADDRESS_ENV = "ADVISOR_RAY_ADDRESS"


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
