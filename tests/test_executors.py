"""The execution seam (engine.executors): in-process here; the Ray path lives in tests/test_ray_executor.py."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine import executors
from engine.measure.capacity import Cancelled
from engine.io.data import DataError
from engine.executors import JobFailed, JobState, Resources
from engine.executors.local import InProcessExecutor


@dataclass
class _Steps:
    """A job that reports ``steps`` progress lines, waiting on ``gate`` before each (the test sets the pace)."""

    steps: int = 3
    gate: threading.Event = field(default_factory=threading.Event)
    fail_with: BaseException | None = None
    resources: Resources = field(default_factory=Resources)

    def run(self, progress: Any, placement: dict[str, Any]) -> dict[str, Any]:
        for number in range(self.steps):
            progress(f"Step {number}: working", number / self.steps)
            assert self.gate.wait(10)
        if self.fail_with is not None:
            raise self.fail_with
        return {"placement": placement, "answer": 42}


def _wait_for(predicate: Any, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_in_process_reports_progress_steps_and_where_it_ran() -> None:
    executor = InProcessExecutor()
    job = _Steps()
    handle = executor.submit(job)
    _wait_for(lambda: executor.status(handle).steps == ["Step 0"])
    status = executor.status(handle)
    assert status.state is JobState.RUNNING and status.message == "Step 0: working" and not status.done
    job.gate.set()
    _wait_for(lambda: executor.status(handle).done)
    status = executor.status(handle)
    assert status.state is JobState.DONE and status.steps == ["Step 0", "Step 1", "Step 2"]
    assert executor.result(handle) == {"placement": {"executor": "in-process", "node": "this machine"}, "answer": 42}
    with pytest.raises(KeyError):  # a result is handed over once
        executor.status(handle)


@pytest.mark.parametrize("job_id", ["<img src=x onerror=alert(1)>", "short", "A" * 23, "A" * 21 + "/", None, 22])
def test_a_job_id_of_the_wrong_shape_is_refused_without_being_echoed(job_id: object) -> None:
    with pytest.raises(executors.UnknownJob) as refused:
        InProcessExecutor().attach(job_id)  # type: ignore[arg-type]
    assert str(refused.value) == "that is not a comparison id (22 letters, digits, - or _)"


def test_in_process_attaches_to_its_own_jobs_only() -> None:
    executor = InProcessExecutor()
    job = _Steps()
    handle = executor.submit(job)
    assert executor.attach(handle.id).id == handle.id
    with pytest.raises(executors.UnknownJob, match="no comparison with that id is running on this server"):
        executor.attach("B" * 22)
    job.gate.set()
    _wait_for(lambda: executor.status(handle).done)


def test_in_process_cancel_stops_at_the_next_step() -> None:
    executor = InProcessExecutor()
    job = _Steps()
    handle = executor.submit(job)
    _wait_for(lambda: executor.status(handle).state is JobState.RUNNING)
    executor.cancel(handle)
    job.gate.set()
    _wait_for(lambda: executor.status(handle).done)
    assert executor.status(handle).state is JobState.CANCELLED
    with pytest.raises(Cancelled):
        executor.result(handle)


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [(DataError("the target has one value"), DataError, "the target has one value"),
     (ZeroDivisionError("boom"), JobFailed, "training failed unexpectedly (ZeroDivisionError)")],
)
def test_in_process_failures_are_one_line(error: BaseException, expected: type, message: str) -> None:
    executor = InProcessExecutor()
    job = _Steps(steps=1, fail_with=error)
    job.gate.set()
    handle = executor.submit(job)
    _wait_for(lambda: executor.status(handle).done)
    status = executor.status(handle)
    assert status.state is JobState.FAILED and status.error is not None and message in status.error
    with pytest.raises(expected, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        executor.result(handle)
    # an unexpected error was logged with its traceback here: the front end says where that went
    assert getattr(raised.value, "logged", False) is (expected is JobFailed)


def test_result_waits_no_longer_than_asked() -> None:
    executor = InProcessExecutor()
    job = _Steps()
    handle = executor.submit(job)
    with pytest.raises(TimeoutError):
        executor.result(handle, timeout=0.05)
    job.gate.set()
    assert executor.result(handle, timeout=10)["answer"] == 42


def test_the_address_chooses_the_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    executors.reset()
    monkeypatch.delenv(executors.RAY_ADDRESS_ENV, raising=False)
    assert executors.current().name == "in-process" and executors.current() is executors.current()
    monkeypatch.setenv(executors.RAY_ADDRESS_ENV, "   ")
    assert executors.configured_address() is None
    monkeypatch.setenv(executors.RAY_ADDRESS_ENV, "ray://127.0.0.1:10001")
    assert executors.configured_address() == "ray://127.0.0.1:10001"
    executors.reset()


def test_run_to_end_passes_progress_on() -> None:
    job = _Steps()
    job.gate.set()
    lines: list[str] = []
    assert executors.run_to_end(job, InProcessExecutor(), progress=lambda m, f: lines.append(m), poll_seconds=0.01)["answer"] == 42
    assert lines and all(line.startswith("Step") for line in lines)


def test_a_comparison_job_saves_its_own_record_and_says_where_it_ran(signal_table: Any, tmp_path: Any) -> None:
    """The job (not the page) saves the record, its rows only when asked, with ``ran_on`` in the record and the JSON."""
    from engine.io.dataset import Dataset
    from engine.executors.jobs import ComparisonJob
    from engine.share.store import RunStore

    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    data = Dataset.from_frame(signal_table.head(300), "signal.csv")
    job = ComparisonJob(data, "target", max_seconds=20, shap_rows=10, ml_kind="linear", save_to=url)
    outcome = executors.run_to_end(job, InProcessExecutor(), poll_seconds=0.05)
    ran_on = outcome.result.ran_on
    assert ran_on == {"executor": "in-process", "node": "this machine", "device": ran_on["device"]}
    assert ran_on["device"] in ("cpu", "cuda") and outcome.result.to_dict()["ran_on"] == ran_on
    store = RunStore(url)
    assert outcome.save_error is None and store.open(outcome.saved.token).ran_on == ran_on
    assert store.dataset_csv(outcome.saved.token) is None  # the rows were not asked for


def test_ray_task_options_come_from_the_job_unless_the_environment_sets_them() -> None:
    from engine.executors.ray_executor import task_options  # ray itself is imported only when connecting

    assert task_options(Resources()) == {"num_cpus": 2.0, "num_gpus": 0.0}
    assert task_options(Resources(memory_bytes=2**30), {"ADVISOR_RAY_GPUS": "1", "ADVISOR_RAY_CPUS": " 4 "}) == {
        "num_cpus": 4.0, "num_gpus": 1.0, "memory": 2**30}
    with pytest.raises(executors.ExecutorUnavailable, match="ADVISOR_RAY_GPUS must be a number of gpus"):
        task_options(Resources(), {"ADVISOR_RAY_GPUS": "all"})
    with pytest.raises(executors.ExecutorUnavailable, match="cannot be negative"):
        task_options(Resources(), {"ADVISOR_RAY_CPUS": "-1"})


def test_the_corpus_runner_sends_each_dataset_as_a_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """On an executor (Ray in production; in-process here), each dataset is one job, kept as it ends, listed in order."""
    from engine.evidence import track_record

    def fake_run_one(job: Any, seed: int, max_seconds: float, shap_rows: int, seeds: int) -> Any:
        if job.name == "broken.csv":
            raise RuntimeError("worker lost")
        return track_record.DatasetRecord(dataset=job.name, seeds=seeds, winner="ml", recommendation="ml", confidence=0.8,
                                          margin=0.1, metric="accuracy", splits=1, agreed=True)

    monkeypatch.setattr(track_record, "_run_one", fake_run_one)
    jobs = [track_record._Job(name, name) for name in ("a.csv", "broken.csv", "c.csv")]
    kept: list[str] = []
    lines: list[str] = []
    result = track_record._run_on_executor(InProcessExecutor(), jobs, [(j, 0, 5.0, 10, 1) for j in jobs],
                                           lines.append, lambda record: kept.append(record.dataset))
    assert [r.dataset for r in result.records] == ["a.csv", "broken.csv", "c.csv"]
    assert sorted(kept) == ["a.csv", "broken.csv", "c.csv"] and len(lines) == 3
    broken = result.records[1]
    assert broken.winner is None and broken.error is not None and broken.error.startswith("the job failed")
    assert result.records[0].winner == "ml" and result.records[2].winner == "ml"


def test_an_unreachable_cluster_is_refused_with_one_line(root: Any, tmp_path: Any) -> None:
    """No silent fall-back to training in-process: exit 2 and one ``error:`` line (nothing listens on port 1)."""
    import os
    import subprocess
    import sys

    env = os.environ | {executors.RAY_ADDRESS_ENV: "ray://127.0.0.1:1"}
    done = subprocess.run([sys.executable, "-m", "engine", "compare", str(root / "sample_data" / "wine.csv"), "--json"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 2 and done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "the Ray cluster at ray://127.0.0.1:1 cannot be reached" in errors[0]
    assert "Traceback" not in done.stderr


def test_the_progress_board_tells_a_job_it_was_cancelled_at_its_next_step() -> None:
    """Ray's own interrupt (a SIGINT) can be swallowed inside Ray's calls; the board's answer to a report cannot."""
    from engine.executors.ray_executor import _Board

    board = _Board()
    board.started("job", {"executor": "ray"})
    assert board.report("job", "Training", 0.1) is False
    board.ask_cancel("job")
    assert board.report("job", "Training", 0.2) is True
    assert board.report("other", "Training", 0.2) is False  # only the job asked about
    board.forget("job", {"state": "cancelled", "error": None})
    assert board.report("job", "Training", 0.3) is False  # a forgotten job's flag goes with it


@pytest.mark.parametrize("spec_key", ["boosting", "mlp"])
def test_each_ray_trainer_keeps_rays_callbacks_but_stops_the_placement_group_cleaner_within_a_second(
    spec_key: str, tmp_path: Any,
) -> None:
    """Ray Train's own cleaner waited 12 s after every data-parallel run (engine.models.distributed._prompt_cleanup)."""
    from ray.train.v2._internal.callbacks.placement_group_callback import PlacementGroupCleanerCallback

    from engine.models import distributed

    trainer = distributed._trainer(spec_key, {}, distributed.Scale(workers=2, use_gpu=False), str(tmp_path))
    base = type(trainer).__mro__[1]
    assert type(trainer).__name__ == base.__name__ == distributed.TRAINERS[spec_key].split()[0]
    ours = trainer._create_default_callbacks()
    rays = base._create_default_callbacks(trainer)
    assert [type(callback) for callback in ours] == [type(callback) for callback in rays]
    cleaners = [callback for callback in ours if isinstance(callback, PlacementGroupCleanerCallback)]
    assert [cleaner._stop_timeout for cleaner in cleaners] == [distributed.CLEANER_STOP_SECONDS]
    assert all(cleaner._stop_timeout > distributed.CLEANER_STOP_SECONDS
               for cleaner in rays if isinstance(cleaner, PlacementGroupCleanerCallback))
