"""The Ray executor: each job a Ray task with declared resources; progress through one small actor.

``ADVISOR_RAY_ADDRESS`` is ``auto`` (the cluster this machine's ``ray start``
joined), ``ray://host:10001`` (Ray Client), or ``local`` (start a Ray instance
on this machine, bound to 127.0.0.1). Tasks are not retried: a comparison whose
worker dies ends "failed" (the user may train again), and because a job saves
its record in one transaction at its very end, a dead job leaves no half-written
run. Cancelling tells the job through the progress board (its next progress step
raises :class:`Cancelled`, as in-process), interrupts the task (``ray.cancel``),
and kills its worker if it has not stopped within :data:`FORCE_CANCEL_AFTER_SECONDS`.
The board is the part that always works: Ray's interrupt is a SIGINT, which a
worker busy inside Ray's own calls (a progress report) can swallow.

Every replica of the app connected to the same cluster sees every job: the
progress board (a named actor in :data:`NAMESPACE`) keeps each job's ObjectRef
while it runs, so :meth:`RayExecutor.attach` follows, cancels and collects a job
another process submitted; once collected, the board keeps its ending (and where
the job saved its record) for :data:`FINISHED_KEPT` more jobs. Ray ties a task to
the process that submitted it: if that replica stops, its running jobs stop too
(they end "failed"), and a finished job's record is still read from the run store.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.measure.capacity import Cancelled
from engine.io.data import DataError
from engine.executors.base import (
    Executor, ExecutorUnavailable, Handle, Job, JobFailed, JobState, JobStatus, ProgressLog, Resources,
    UnknownJob, check_job_id,
)

__all__ = ["RayExecutor", "NAMESPACE", "BOARD_NAME", "FORCE_CANCEL_AFTER_SECONDS", "CPUS_ENV", "GPUS_ENV",
           "task_options"]

#: Every replica of the app uses this namespace, so they find the same progress board.
NAMESPACE = "ml-vs-dl-advisor"
BOARD_NAME = "advisor-progress-board"
FORCE_CANCEL_AFTER_SECONDS = 10.0
#: Seconds to wait for the progress board before a status says "no news" rather than hang a page.
BOARD_TIMEOUT_SECONDS = 5.0
#: A running job asks the board whether it was cancelled at most this often (each ask is one round trip).
CANCEL_CHECK_SECONDS = 0.5
#: Collected jobs whose ending the board keeps, newest first, for a replica that attaches after another collected it.
FINISHED_KEPT = 1_000
#: Seconds the executor waits, once when it connects, for the progress board to answer.
BOARD_START_SECONDS = 60.0
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
#: CPUs and GPUs each comparison asks of the cluster, when set (else the job's own Resources: 2 CPUs, no GPU).
#: Ray hides the GPUs from a task that asks for none, so a network trains on a GPU only when GPUs are asked for.
CPUS_ENV = "ADVISOR_RAY_CPUS"
GPUS_ENV = "ADVISOR_RAY_GPUS"


def task_options(resources: Resources, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Ray's ``num_cpus``/``num_gpus``/``memory`` for one job: ADVISOR_RAY_CPUS/GPUS override the job's own."""

    def number(name: str, default: float) -> float:
        text = environ.get(name, "").strip()
        try:
            value = float(text) if text else default
        except ValueError:
            raise ExecutorUnavailable(f"{name} must be a number of {name.rsplit('_', 1)[1].lower()}, not {text!r}") from None
        if value < 0:
            raise ExecutorUnavailable(f"{name} cannot be negative")
        return value

    options: dict[str, Any] = {"num_cpus": number(CPUS_ENV, resources.cpus), "num_gpus": number(GPUS_ENV, resources.gpus)}
    if resources.memory_bytes:
        options["memory"] = resources.memory_bytes
    return options


class _Board:
    """The progress lines of every job on the cluster, keyed by job id (a Ray actor; tiny, no CPU)."""

    def __init__(self) -> None:
        self._logs: dict[str, ProgressLog] = {}
        self._where: dict[str, dict[str, Any]] = {}
        # A job's ObjectRef travels in a one-item list: Ray would otherwise resolve it, waiting for the result.
        self._refs: dict[str, list[Any]] = {}
        self._about: dict[str, dict[str, Any]] = {}
        self._saved: dict[str, Any] = {}
        self._finished: dict[str, dict[str, Any]] = {}
        self._cancel_asked: set[str] = set()

    def track(self, job_id: str, ref: list[Any], about: dict[str, Any]) -> None:
        self._refs[job_id] = ref
        self._about[job_id] = about

    def saved(self, job_id: str, saved: Any) -> None:
        self._saved[job_id] = saved

    def lookup(self, job_id: str) -> dict[str, Any] | None:
        """What a replica needs to attach to ``job_id``: its ref while uncollected, else its ending; None: unknown."""
        if job_id in self._refs:
            return {"ref": self._refs[job_id], "about": self._about.get(job_id, {}), "saved": self._saved.get(job_id)}
        if job_id in self._finished:
            return {"ref": None} | self._finished[job_id]
        return None

    def started(self, job_id: str, where: dict[str, Any]) -> None:
        self._logs.setdefault(job_id, ProgressLog())
        self._where[job_id] = where

    def report(self, job_id: str, message: str, fraction: float) -> bool:
        """Add a progress line; True when someone asked to cancel the job (it stops at this step)."""
        self._logs.setdefault(job_id, ProgressLog()).add(message, fraction)
        return job_id in self._cancel_asked

    def ask_cancel(self, job_id: str) -> None:
        self._cancel_asked.add(job_id)

    def get(self, job_id: str) -> dict[str, Any] | None:
        log = self._logs.get(job_id)
        if log is None:
            return None
        return {"message": log.message, "fraction": log.fraction, "steps": list(log.steps),
                "where": self._where.get(job_id, {}), "lines": dict(log.lines)}

    def forget(self, job_id: str, ending: dict[str, Any] | None = None) -> None:
        """Drop a collected job's ref and lines (its result is freed), keeping its ending for other replicas."""
        if job_id in self._finished and job_id not in self._refs:
            return  # collected by another replica first: its ending is kept already
        log = self._logs.pop(job_id, None)
        where = self._where.pop(job_id, {})
        self._cancel_asked.discard(job_id)
        self._refs.pop(job_id, None)
        about, saved = self._about.pop(job_id, {}), self._saved.pop(job_id, None)
        if ending is None:
            return
        self._finished[job_id] = {"ending": ending, "about": about, "saved": saved, "where": where,
                                  "steps": list(log.steps) if log else [], "message": log.message if log else ""}
        while len(self._finished) > FINISHED_KEPT:
            self._finished.pop(next(iter(self._finished)))


def _run_job(job: Job, job_id: str, board: Any) -> Any:
    """The body of every task: say where it runs, run the job with its progress sent to the board."""
    import ray

    context = ray.get_runtime_context()
    where = {"executor": "ray", "node": context.get_node_id(), "worker_pid": os.getpid()}
    board.started.remote(job_id, where)

    last_asked = [0.0]

    def progress(message: str, fraction: float) -> None:
        cancelled = board.report.remote(job_id, message, fraction)  # mostly fire and forget: training rarely waits
        if time.monotonic() - last_asked[0] < CANCEL_CHECK_SECONDS:
            return
        last_asked[0] = time.monotonic()
        try:
            asked = ray.get(cancelled, timeout=BOARD_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001  a board that does not answer cancels nothing; ray.cancel still may
            asked = False
        if asked:
            raise Cancelled()

    value = job.run(progress, {"executor": "ray", "node": where["node"]})
    if (saved := getattr(value, "saved", None)) is not None:
        try:  # where the record went, for a replica that attaches once the submitting one has collected it
            ray.get(board.saved.remote(job_id, saved), timeout=BOARD_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001  the record is saved either way; only a late attach would miss it
            pass
    return value


class _Tracked:
    def __init__(self, ref: Any, about: dict[str, Any] | None = None) -> None:
        self.ref = ref  # None: attached after another replica collected it (its ending is all there is)
        self.about = about or {}
        self.cancelled_at: float | None = None
        self.final: JobStatus | None = None
        self.saved: Any = None


class RayExecutor(Executor):
    """Submits each job as a Ray task; ``ray.init`` happens once, in the constructor."""

    name = "ray"
    _init_lock = threading.Lock()

    def __init__(self, address: str) -> None:
        self.address = address
        self._connect()
        import ray

        self._ray = ray
        self._task = ray.remote(max_retries=0)(_run_job)
        self._board = ray.remote(num_cpus=0)(_Board).options(
            name=BOARD_NAME, namespace=NAMESPACE, lifetime="detached", get_if_exists=True,
        ).remote()
        self._jobs: dict[str, _Tracked] = {}
        self._lock = threading.Lock()
        try:  # once: a new board's process can take longer to start than a page waits for news (BOARD_TIMEOUT_SECONDS)
            ray.get(self._board.lookup.remote(""), timeout=BOARD_START_SECONDS)
        except Exception:  # noqa: BLE001  a board that never answers only costs progress lines and other replicas' view
            pass

    def _connect(self) -> None:
        try:
            import ray
        except ImportError:
            raise ExecutorUnavailable(
                "ADVISOR_RAY_ADDRESS is set but Ray is not installed (pip install -r requirements-ray.txt)"
            ) from None
        with self._init_lock:
            if ray.is_initialized():
                return
            # The workers import this project's engine: on this machine from here; on a cluster, install the
            # project on every worker (the README's "On a Ray cluster").
            runtime_env = {"env_vars": {"PYTHONPATH": _PROJECT_ROOT}}
            try:
                if self.address == "local":
                    # address="local": always a new instance of its own. Without an address ray.init joins a Ray
                    # already running on this machine (a `ray start` head, another test's cluster) instead.
                    ray.init(address="local", num_cpus=os.cpu_count() or 2, namespace=NAMESPACE,
                             include_dashboard=False, log_to_driver=False, runtime_env=runtime_env,
                             _node_ip_address="127.0.0.1")
                else:
                    ray.init(address=self.address, namespace=NAMESPACE, log_to_driver=False, runtime_env=runtime_env)
            except Exception as error:  # noqa: BLE001  Ray raises ConnectionError, RuntimeError, ValueError, …
                raise ExecutorUnavailable(
                    f"the Ray cluster at {self.address} cannot be reached ({type(error).__name__}); "
                    "comparisons are not trained until it is back (or ADVISOR_RAY_ADDRESS is unset)"
                ) from None

    # -- the interface ---------------------------------------------------------------------
    def submit(self, job: Job) -> Handle:
        job_id = secrets.token_urlsafe(16)
        ref = self._task.options(**task_options(job.resources)).remote(job, job_id, self._board)
        about = job.about() if callable(getattr(job, "about", None)) else {}
        with self._lock:
            self._jobs[job_id] = _Tracked(ref, about)
        try:  # waited for, so another replica can attach as soon as this returns
            self._ray.get(self._board.track.remote(job_id, [ref], about), timeout=BOARD_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001  the job runs either way; only other replicas would not find it
            pass
        return Handle(job_id, self.name, about)

    def attach(self, job_id: str) -> Handle:
        """Follow a job any process connected to this cluster submitted (raises :class:`UnknownJob`)."""
        return Handle(job_id, self.name, self._attach(job_id).about)

    def _attach(self, job_id: object) -> _Tracked:
        job_id = check_job_id(job_id)
        with self._lock:
            tracked = self._jobs.get(job_id)
        if tracked is not None:
            return tracked
        try:
            found = self._ray.get(self._board.lookup.remote(job_id), timeout=BOARD_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001
            raise UnknownJob("the Ray cluster's job list cannot be read now; try again in a moment") from None
        if found is None:
            raise UnknownJob("no comparison with that id is running or recently finished on the Ray cluster")
        tracked = _Tracked(found["ref"][0] if found["ref"] else None, found.get("about"))
        tracked.saved = found.get("saved")
        if tracked.ref is None:
            ending = found["ending"]
            tracked.final = JobStatus(JobState(ending["state"]), found.get("message", ""), 1.0, found.get("steps", []),
                                      ending.get("error"), {"executor": self.name} | found.get("where", {}))
        with self._lock:
            return self._jobs.setdefault(job_id, tracked)

    def _get(self, handle: Handle) -> _Tracked:
        with self._lock:
            tracked = self._jobs.get(handle.id)
        if tracked is None:  # collected here already by another follower, or submitted elsewhere: ask the board
            tracked = self._attach(handle.id)
        return tracked

    def status(self, handle: Handle) -> JobStatus:
        tracked = self._get(handle)
        if tracked.final is not None:
            return tracked.final
        ready, _ = self._ray.wait([tracked.ref], timeout=0)
        news = self._news(handle.id)
        if ready:
            tracked.final = self._ending(tracked, news)
            return tracked.final
        if tracked.cancelled_at is not None and time.monotonic() - tracked.cancelled_at > FORCE_CANCEL_AFTER_SECONDS:
            self._ray.cancel(tracked.ref, force=True)  # it did not reach a step: end its worker
        if news is None or not news.get("where"):
            return JobStatus(JobState.QUEUED, "Waiting for a worker on the Ray cluster", 0.0, [],
                             where={"executor": self.name})
        return JobStatus(JobState.RUNNING, news["message"], news["fraction"], news["steps"],
                         where={"executor": self.name} | news["where"], lines=news.get("lines", {}))

    def cancel(self, handle: Handle) -> None:
        tracked = self._get(handle)
        if tracked.cancelled_at is None and tracked.ref is not None:
            tracked.cancelled_at = time.monotonic()
            self._board.ask_cancel.remote(handle.id)  # the job stops at its next progress step
            # Ray passes a cancel of a ref this process borrowed (another replica's job) on to its owner.
            self._ray.cancel(tracked.ref)  # a queued task never starts; a running one gets KeyboardInterrupt

    def result(self, handle: Handle, timeout: float | None = None) -> Any:
        tracked = self._get(handle)
        if tracked.ref is None:  # collected by another replica: its ending, and the record from the run store
            with self._lock:
                self._jobs.pop(handle.id, None)
            return self._recorded(tracked)
        ready, _ = self._ray.wait([tracked.ref], timeout=timeout)
        if not ready:
            raise TimeoutError("the job is still running")
        with self._lock:
            self._jobs.pop(handle.id, None)
        try:
            value = self._ray.get(tracked.ref)
        except BaseException as error:  # noqa: BLE001  every way a task ends, mapped to the interface's three
            ending = self._translate(error, tracked)
            state = JobState.CANCELLED if isinstance(ending, Cancelled) else JobState.FAILED
            self._board.forget.remote(handle.id, {"state": state.value, "error": str(ending) or None})
            saved = self._saved_by_job(handle.id) if state is JobState.FAILED else None
            if saved is not None and tracked.about.get("store"):  # the submitting replica stopped after the save
                from engine.executors.jobs import reopen

                return reopen(tracked.about["store"], saved)
            raise ending from None
        self._board.forget.remote(handle.id, {"state": JobState.DONE.value, "error": None})
        return value

    # -- helpers ---------------------------------------------------------------------------
    def _recorded(self, tracked: _Tracked) -> Any:
        final = tracked.final
        assert final is not None
        if final.state is JobState.CANCELLED:
            raise Cancelled()
        if final.state is not JobState.DONE:
            raise JobFailed(final.error or "the comparison failed")
        if tracked.saved is None or not tracked.about.get("store"):
            raise JobFailed("the comparison finished on another replica, which kept its result without saving it")
        from engine.executors.jobs import reopen

        return reopen(tracked.about["store"], tracked.saved)

    def _saved_by_job(self, job_id: str) -> Any:
        try:
            found = self._ray.get(self._board.lookup.remote(job_id), timeout=BOARD_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001
            return None
        return (found or {}).get("saved")

    def _news(self, job_id: str) -> dict[str, Any] | None:
        try:
            return self._ray.get(self._board.get.remote(job_id), timeout=BOARD_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001  no news is not a failure of the job
            return None

    def _ending(self, tracked: _Tracked, news: dict[str, Any] | None) -> JobStatus:
        news = news or {"message": "", "fraction": 0.0, "steps": [], "where": {}}
        where = {"executor": self.name} | news.get("where", {})
        try:
            self._ray.get(tracked.ref, timeout=0)
        except BaseException as error:  # noqa: BLE001
            ending = self._translate(error, tracked)
            state = JobState.CANCELLED if isinstance(ending, Cancelled) else JobState.FAILED
            return JobStatus(state, news["message"], news["fraction"], news["steps"],
                             None if state is JobState.CANCELLED else str(ending), where)
        return JobStatus(JobState.DONE, news["message"], news["fraction"], news["steps"], None, where)

    def _translate(self, error: BaseException, tracked: _Tracked) -> BaseException:
        from ray import exceptions as rex

        if isinstance(error, rex.TaskCancelledError) or tracked.cancelled_at is not None:
            return Cancelled()
        cause = getattr(error, "cause", None)
        if isinstance(error, rex.RayTaskError) and isinstance(cause, Cancelled):
            return Cancelled()
        if isinstance(error, DataError) or isinstance(cause, DataError):
            return DataError(str(cause if isinstance(cause, DataError) else error).splitlines()[-1])
        if isinstance(error, (rex.WorkerCrashedError, rex.NodeDiedError, rex.ActorDiedError, rex.OutOfMemoryError)):
            return JobFailed(f"the worker training this comparison stopped ({type(error).__name__}); "
                             "nothing was saved, train again to retry")
        if isinstance(error, rex.RayError):
            name = type(cause).__name__ if cause is not None else type(error).__name__
            return JobFailed(f"training failed on the Ray cluster ({name}); the details are in the worker's log")
        return JobFailed(f"training failed ({type(error).__name__})")
