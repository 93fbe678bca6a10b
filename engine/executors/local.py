"""The in-process executor: each job in a thread of this process (the default, and today's behaviour)."""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any

from engine.measure.capacity import Cancelled
from engine.io.data import DataError
from engine.executors.base import (
    Executor, Handle, Job, JobFailed, JobState, JobStatus, ProgressLog, UnknownJob, check_job_id,
)

__all__ = ["InProcessExecutor"]

_log = logging.getLogger(__name__)


class _Running:
    """One job's thread and what it reported; the thread writes, callers read."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.log = ProgressLog()
        self.cancel_requested = threading.Event()
        self.state = JobState.QUEUED
        self.value: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="executor-job", daemon=True)

    def _progress(self, message: str, fraction: float) -> None:
        # compare calls this between steps: the one place a running job can stop cleanly
        if self.cancel_requested.is_set():
            raise Cancelled()
        self.log.add(message, fraction)

    def _main(self) -> None:
        try:
            if self.cancel_requested.is_set():
                raise Cancelled()
            self.state = JobState.RUNNING
            self.value = self.job.run(self._progress, {"executor": InProcessExecutor.name, "node": "this machine"})
            self.state = JobState.DONE
        except Cancelled as error:
            self.error, self.state = error, JobState.CANCELLED
        except DataError as error:
            self.error, self.state = error, JobState.FAILED
        except Exception as error:  # noqa: BLE001  the job must always end, or its caller waits forever
            _log.exception("a job failed")
            self.error = JobFailed(f"training failed unexpectedly ({type(error).__name__})", logged=True)
            self.state = JobState.FAILED


class InProcessExecutor(Executor):
    """Runs each job at once in a daemon thread; the app's training queue decides how many are submitted."""

    name = "in-process"

    def __init__(self) -> None:
        self._jobs: dict[str, _Running] = {}
        self._lock = threading.Lock()

    def submit(self, job: Job) -> Handle:
        running = _Running(job)
        handle = Handle(secrets.token_urlsafe(16), self.name)
        with self._lock:
            self._jobs[handle.id] = running
        running.thread.start()
        return handle

    def _get(self, handle: Handle) -> _Running:
        with self._lock:
            running = self._jobs.get(handle.id)
        if running is None:
            raise KeyError("unknown or already collected job")
        return running

    def attach(self, job_id: str) -> Handle:
        """Only this process's own jobs: a thread of another process cannot be followed from here."""
        job_id = check_job_id(job_id)
        with self._lock:
            if job_id in self._jobs:
                return Handle(job_id, self.name)
        raise UnknownJob("no comparison with that id is running on this server")

    def status(self, handle: Handle) -> JobStatus:
        running = self._get(handle)
        error = None if running.error is None or isinstance(running.error, Cancelled) else str(running.error)
        return JobStatus(running.state, running.log.message, running.log.fraction, list(running.log.steps), error,
                         {"executor": self.name, "node": "this machine"}, dict(running.log.lines))

    def cancel(self, handle: Handle) -> None:
        self._get(handle).cancel_requested.set()

    def result(self, handle: Handle, timeout: float | None = None) -> Any:
        running = self._get(handle)
        running.thread.join(timeout)
        if running.thread.is_alive():
            raise TimeoutError("the job is still running")
        with self._lock:
            self._jobs.pop(handle.id, None)
        if running.error is not None:
            raise running.error
        return running.value
