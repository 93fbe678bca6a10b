"""The execution seam's types: the executor interface, a job, its status and resources (see engine.executors)."""

from __future__ import annotations

import abc
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from engine.io.data import DataError

__all__ = [
    "Executor", "ExecutorUnavailable", "Handle", "Job", "JobFailed", "JobState", "JobStatus", "Progress",
    "ProgressLog", "Resources", "UnknownJob", "JOB_ID_PATTERN", "check_job_id",
]

#: The shape of every job id an executor makes (``secrets.token_urlsafe(16)``): ids from outside are checked against it.
JOB_ID_PATTERN = r"[A-Za-z0-9_-]{22}"

#: Progress callback a job reports through: (message, overall fraction done in 0..1).
Progress = Callable[[str, float], None]


class ExecutorUnavailable(DataError):
    """The configured executor cannot take work (e.g. the Ray cluster is unreachable): one line for the user."""


class UnknownJob(DataError):
    """No job by that id on this executor (a mistyped link, a finished job already forgotten): one line."""


def check_job_id(job_id: object) -> str:
    """``job_id`` if it has the shape of an id an executor makes; else :class:`UnknownJob`, without echoing it.

    Ids come from links and other replicas, so they are untrusted: one check, before any lookup, for every caller.
    """
    if not isinstance(job_id, str) or not re.fullmatch(JOB_ID_PATTERN, job_id):
        raise UnknownJob("that is not a comparison id (22 letters, digits, - or _)")
    return job_id


class JobFailed(RuntimeError):
    """A job ended without a result for a reason that is not the user's input (its worker died, say): one line.

    ``logged``: an unexpected error whose traceback this process logged; each front end says where that goes
    (the server's log for the dashboard; the command line shows it with ENGINE_DEBUG=1).
    """

    def __init__(self, message: str, *, logged: bool = False) -> None:
        super().__init__(message)
        self.logged = logged


class JobState(str, Enum):
    QUEUED = "queued"  # submitted, waiting for a worker (Ray: for the cluster's resources)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Resources:
    """What one job asks of a worker. Ray schedules by it; in-process it is informative only."""

    cpus: float = 2.0  # one PyTorch and one LightGBM thread (engine.measure.capacity: two cores per training)
    memory_bytes: int | None = None
    gpus: float = 0.0


@dataclass(frozen=True)
class Handle:
    """A submitted job: an unguessable id and the executor that holds it."""

    id: str
    executor: str
    #: What the job is (dataset name, target, options), for a process that attached to it without submitting it.
    about: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class JobStatus:
    """A snapshot of a job: its state, its last progress line and steps, and where it runs."""

    state: JobState
    message: str = ""
    fraction: float = 0.0
    steps: list[str] = field(default_factory=list)
    error: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)  # each step's latest line (both sides report at once)

    @property
    def done(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Job(Protocol):
    """Work an executor can run: ``run(progress, placement)`` returns a picklable result."""

    resources: Resources

    def run(self, progress: Progress, placement: dict[str, Any]) -> Any: ...


class ProgressLog:
    """The last progress line, the distinct steps so far (the text before a line's first colon) and each one's latest line.

    The classic and the deep side train at once, so their lines interleave:
    a step is listed once, where it first reported.
    """

    def __init__(self) -> None:
        self.message, self.fraction, self.steps = "", 0.0, []
        self.lines: dict[str, str] = {}

    def add(self, message: str, fraction: float) -> None:
        step = message.split(":", 1)[0]
        if step not in self.steps:
            self.steps.append(step)
        self.lines[step] = message
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

    def attach(self, job_id: str) -> Handle:
        """A handle on a job this executor did not necessarily submit (another replica's); raises :class:`UnknownJob`.

        An executor that keeps its jobs in its own process knows only those it submitted.
        """
        raise UnknownJob("no comparison with that id is running here")

    @abc.abstractmethod
    def result(self, handle: Handle, timeout: float | None = None) -> Any:
        """Wait for the job and return its result, then forget it.

        Raises :class:`engine.measure.capacity.Cancelled` when it was cancelled,
        :class:`engine.io.data.DataError` for unusable input, :class:`JobFailed`
        when it ended otherwise without a result, and ``TimeoutError`` when
        ``timeout`` passes first (the job is then kept).
        """
