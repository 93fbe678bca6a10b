"""The Ray path of the execution seam, on a small local Ray that the module starts and stops.

Two tests, kept short: a comparison end to end (engine and a dashboard session)
with the same record as in-process; and the ways a job ends badly: its worker
killed by its process id (failed, nothing saved) and a cancel.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from streamlit.testing.v1 import AppTest

from engine import executors
from engine.capacity import Cancelled
from engine.dataset import Dataset
from engine.executors import JobFailed, JobState
from engine.executors.jobs import ComparisonJob
from engine.executors.local import InProcessExecutor
from engine.store import RunStore
from tests.conftest import finish_training, make_signal_table

APP = Path(__file__).resolve().parents[1] / "dashboard.py"


@pytest.fixture(scope="module")
def ray_executor() -> Iterator[executors.Executor]:
    """ADVISOR_RAY_ADDRESS=local: a Ray instance on this machine (127.0.0.1), shut down after the module."""
    saved = os.environ.get(executors.RAY_ADDRESS_ENV)
    os.environ[executors.RAY_ADDRESS_ENV] = "local"
    executors.reset()
    try:
        executor = executors.current()
        assert executor.name == "ray"
        yield executor
    finally:
        executors.reset()
        ray.shutdown()
        if saved is None:
            os.environ.pop(executors.RAY_ADDRESS_ENV, None)
        else:
            os.environ[executors.RAY_ADDRESS_ENV] = saved


@pytest.fixture()
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.sqlite3'}"


def _job(rows: int, max_seconds: float, store_url: str | None = None) -> ComparisonJob:
    # Over engine.thresholds.SMALL_DATA_ROWS: one split, as conftest asks of in-process runs (a worker does not see
    # the test's monkeypatch).
    data = Dataset.from_frame(make_signal_table(rows=rows), "signal.csv")
    return ComparisonJob(data, "target", max_seconds=max_seconds, shap_rows=10, ml_kind="linear", save_to=store_url,
                         keep_rows=True)  # the whole record kept, so what the worker saved reads back equal


def _wait_for(executor: executors.Executor, handle: executors.Handle, predicate: Any, seconds: float = 120.0) -> Any:
    end = time.monotonic() + seconds
    while True:
        status = executor.status(handle)
        if predicate(status):
            return status
        assert time.monotonic() < end, f"timed out at {status}"
        time.sleep(0.1)


def test_a_comparison_on_ray_gives_the_same_record_and_saves_it(ray_executor: executors.Executor,
                                                                store_url: str) -> None:
    on_ray = executors.run_to_end(_job(1_200, 10, store_url), ray_executor)
    here = executors.run_to_end(_job(1_200, 10), InProcessExecutor())
    ray_json, here_json = on_ray.result.to_dict(), here.result.to_dict()
    assert ray_json.keys() == here_json.keys()
    assert ray_json["ran_on"]["executor"] == "ray" and here_json["ran_on"]["executor"] == "in-process"
    assert ray_json["ran_on"]["node"] == ray.get_runtime_context().get_node_id()  # the (only) node of this Ray
    assert ray_json["split"] == here_json["split"] and ray_json["options"] == here_json["options"]
    saved = RunStore(store_url).open(on_ray.saved.token)  # written by the job, in the worker
    assert saved.to_dict() == ray_json

    # A dashboard session trains through the same seam: the page does not know where it ran.
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("pages/train.py").run()
    at.slider(key="train_max_seconds").set_value(4).run()  # a short budget plans one split on these 178 rows
    at.button(key="train_start").click().run()
    finish_training(at)
    run = at.session_state["run"]
    assert run.result.ran_on["executor"] == "ray" and run.token is not None
    assert not at.error, [e.value for e in at.error]


def test_a_killed_worker_fails_cleanly_and_a_cancel_stops_the_task(ray_executor: executors.Executor,
                                                                   store_url: str) -> None:
    handle = ray_executor.submit(_job(3_000, 60, store_url))
    running = _wait_for(ray_executor, handle, lambda s: s.state is JobState.RUNNING and s.message)
    os.kill(running.where["worker_pid"], signal.SIGKILL)
    ended = _wait_for(ray_executor, handle, lambda s: s.done, seconds=60)
    assert ended.state is JobState.FAILED and "stopped" in ended.error and "nothing was saved" in ended.error
    with pytest.raises(JobFailed):
        ray_executor.result(handle)
    assert RunStore(store_url).summaries() == []  # no half-written run

    handle = ray_executor.submit(_job(3_000, 60, store_url))
    _wait_for(ray_executor, handle, lambda s: s.state is JobState.RUNNING and s.message)
    asked = time.monotonic()
    ray_executor.cancel(handle)
    ended = _wait_for(ray_executor, handle, lambda s: s.done, seconds=60)
    assert ended.state is JobState.CANCELLED and time.monotonic() - asked < 30
    with pytest.raises(Cancelled):
        ray_executor.result(handle)
    assert RunStore(store_url).summaries() == []
