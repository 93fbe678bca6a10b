"""The Ray path of the execution seam, on a small local Ray that the module starts and stops.

Kept short: a comparison end to end (the CLI and a dashboard session) with the
same record as in-process; the ways a job ends badly: its worker killed by its
process id (failed, nothing saved) and a cancel; a job followed by id from a
second process (another replica) and from a dashboard session opened with
``?job=<id>``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from streamlit.testing.v1 import AppTest

from engine import executors
from engine.measure.capacity import Cancelled
from engine.io.dataset import Dataset
from engine.executors import JobFailed, JobState, UnknownJob
from engine.executors.jobs import ComparisonJob
from engine.share.store import RunStore
from tests.conftest import finish_training, make_signal_table

APP = Path(__file__).resolve().parents[1] / "dashboard.py"
#: How often Ray Train's controller polls its workers (ray.train.v2's constants; read from the driver's environment).
RAY_TRAIN_POLL_ENV = "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S"


@pytest.fixture(scope="module")
def ray_executor() -> Iterator[executors.Executor]:
    """ADVISOR_RAY_ADDRESS=local: a Ray instance on this machine (127.0.0.1), shut down after the module."""
    saved = os.environ.get(executors.RAY_ADDRESS_ENV)
    saved_poll = os.environ.get(RAY_TRAIN_POLL_ENV)
    os.environ[executors.RAY_ADDRESS_ENV] = "local"
    # Ray Train's controller notices that its workers finished at its next poll, 2 s apart by default: polled
    # every 0.2 s, each data-parallel fit here ended about 3 s sooner (40 s instead of 46 s for both families).
    os.environ[RAY_TRAIN_POLL_ENV] = "0.2"
    executors.reset()
    try:
        executor = executors.current()
        assert executor.name == "ray"
        yield executor
    finally:
        executors.reset()
        ray.shutdown()
        for name, value in ((executors.RAY_ADDRESS_ENV, saved), (RAY_TRAIN_POLL_ENV, saved_poll)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture()
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.sqlite3'}"


def _job(rows: int, max_seconds: float, store_url: str | None = None) -> ComparisonJob:
    # Over engine.common.thresholds.SMALL_DATA_ROWS: one split, as conftest asks of in-process runs (a worker does not see
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


def _cli_compare(csv: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    from engine.__main__ import main

    code = main(["compare", str(csv), "--target", "target", "--max-seconds", "10", "--shap-rows", "10",
                 "--ml-model", "linear", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_a_comparison_on_ray_gives_the_same_record_and_the_job_saves_it(
    ray_executor: executors.Executor, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    csv = tmp_path / "signal.csv"
    make_signal_table(rows=1_200).to_csv(csv, index=False)  # over SMALL_DATA_ROWS: one split, as in-process tests do
    on_ray = _cli_compare(csv, capsys)
    with monkeypatch.context() as local:
        local.delenv(executors.RAY_ADDRESS_ENV)
        here = _cli_compare(csv, capsys)
    assert on_ray.keys() == here.keys()
    assert on_ray["ran_on"]["executor"] == "ray" and here["ran_on"]["executor"] == "in-process"
    assert on_ray["ran_on"]["node"] == ray.get_runtime_context().get_node_id()  # the (only) node of this Ray
    assert on_ray["split"] == here["split"] and on_ray["options"] == here["options"]

    # A dashboard session trains through the same seam: the page does not know where it ran, the job saved it.
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    at.slider(key="train_max_seconds").set_value(4).run()  # a short budget plans one split on these 178 rows
    at.button(key="train_start").click().run()
    from views.state import _JOBS

    work = _JOBS[at.session_state["training_job"]]
    end = time.monotonic() + 60
    while work.job_id is None and not work.done and time.monotonic() < end:
        time.sleep(0.1)
    if not work.done:  # the running job's id goes into the URL, for a session on another replica (?job=)
        at.run()
        assert at.query_params.get("job") == work.job_id, at.query_params
    errors = finish_training(at)
    assert "job" not in at.query_params  # collected: the link is spent
    assert not errors, errors
    run = at.session_state["run"]
    assert run.result.ran_on["executor"] == "ray" and run.token is not None
    saved = RunStore(os.environ["ADVISOR_DATABASE_URL"]).open(run.token)  # written in the worker
    assert saved.ran_on == run.result.ran_on and saved.verdict.winner == run.result.verdict.winner


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

    # Work that cannot end before the cancel reaches it (3,000 rows once finished first on a quiet machine).
    handle = ray_executor.submit(_job(20_000, 300, store_url))
    _wait_for(ray_executor, handle, lambda s: s.state is JobState.RUNNING and s.message)
    asked = time.monotonic()
    ray_executor.cancel(handle)
    ended = _wait_for(ray_executor, handle, lambda s: s.done, seconds=60)
    assert ended.state is JobState.CANCELLED and time.monotonic() - asked < 30
    with pytest.raises(Cancelled):
        ray_executor.result(handle)
    assert RunStore(store_url).summaries() == []


def test_rows_above_the_in_process_cap_train_data_parallel_on_two_workers(
    ray_executor: executors.Executor, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """12,000 rows, ADVISOR_MAX_TRAIN_ROWS above them and an in-process cap below: both families train on
    all 9,600 training rows on 2 Ray Train workers and score as one process does on the same rows."""
    from engine.common import limits
    from engine.common import thresholds as th
    from engine.models import distributed
    from engine.run.pipeline import compare
    from tests.conftest import assert_cli_contract

    frame = make_signal_table(rows=12_000)
    monkeypatch.setenv(limits.MAX_TRAIN_ROWS_ENV, "50000")
    monkeypatch.setenv(distributed.TRAIN_WORKERS_ENV, "2")
    # A budget that plans every family its full work and that the clock never cuts on a busy machine: both
    # runs do the same work, so only the data-parallel training differs.
    options = dict(seed=0, max_seconds=600, shap_rows=10, ml_kind="boosting")
    monkeypatch.setattr(limits, "MAX_COMPARE_ROWS", 15_000)  # within one process's cap: the single-process reference
    one = compare(frame, "target", **options)
    monkeypatch.setattr(limits, "MAX_COMPARE_ROWS", 4_000)
    spread = compare(frame, "target", **options)

    assert one.training["ml"] == one.training["dl"] == {"rows": 9_600, "workers": 1, "trainer": "one process",
                                                         "device": None}
    assert spread.training["ml"] == {"rows": 9_600, "workers": 2, "trainer": distributed.TRAINERS["boosting"],
                                     "device": "cpu"}
    assert spread.training["dl"] == {"rows": 9_600, "workers": 2, "trainer": distributed.TRAINERS["mlp"],
                                     "device": "cpu"}
    assert spread.split.train_rows == one.split.train_rows == 9_600  # nothing sampled away
    assert not any("sample of" in note and "rows, stratified" in note for note in spread.notes)
    assert any("data-parallel on 2 Ray workers" in note for note in spread.ml.notes)
    assert any("data-parallel on 2 Ray workers" in note for note in spread.dl.notes)
    for family in ("ml", "dl"):
        metric = "accuracy"
        gap = abs(getattr(spread, family).metrics[metric] - getattr(one, family).metrics[metric])
        assert gap <= th.PRACTICAL_TIE_MARGIN, (family, gap)
    # The data-parallel models are ordinary fitted pipelines: SHAP explained its sample of test rows.
    assert len(spread.explained_rows) == 10 and spread.agreement is not None
    cli = spread.to_dict()
    assert cli["training"] == spread.training
    assert_cli_contract(cli)


_OTHER_REPLICA = """
import json, sys, time
from engine import executors
executor = executors.current()  # ADVISOR_RAY_ADDRESS: the test's Ray, by its address
unknown = []
for wrong in ("A" * 22, "../../etc/passwd"):
    try:
        executor.attach(wrong)
    except executors.UnknownJob as error:
        unknown.append(str(error))
handle = executor.attach(sys.argv[1])
lines = []
while not (status := executor.status(handle)).done:
    if status.message and status.message not in lines:
        lines.append(status.message)
    time.sleep(0.1)
if status.message not in lines:  # the job may have ended before this process attached: its lines stay on the board
    lines.append(status.message)
outcome = executor.result(handle)
record = outcome.result.to_dict()
print(json.dumps({"about": handle.about, "state": status.state.value, "lines": lines, "unknown": unknown,
                  "record": record, "token": outcome.saved.token}, default=str))
"""


def test_a_second_process_attaches_to_a_job_by_id_and_follows_it_to_its_end(
    ray_executor: executors.Executor, store_url: str,
) -> None:
    """Another replica: a child process connected to this Ray by its address, knowing only the job's id."""
    handle = ray_executor.submit(_job(1_200, 5, store_url))
    address = ray.get_runtime_context().gcs_address
    child = subprocess.run(
        [sys.executable, "-c", _OTHER_REPLICA, handle.id], cwd=Path(__file__).resolve().parents[1],
        env=os.environ | {executors.RAY_ADDRESS_ENV: address}, capture_output=True, text=True, timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    seen = json.loads(child.stdout.strip().splitlines()[-1])
    assert len(seen["unknown"]) == 2 and all("\n" not in line for line in seen["unknown"])
    assert seen["about"]["dataset"] == "signal.csv" and seen["about"]["target"] == "target"
    assert seen["state"] == "done" and all(seen["lines"]), seen["lines"]  # the job's progress lines, seen from there

    here = ray_executor.result(handle).result.to_dict()  # the submitting process collects the same outcome
    there = seen["record"]
    assert there.keys() == here.keys()
    assert there["ran_on"] == json.loads(json.dumps(here["ran_on"], default=str))
    assert there["verdict"] == json.loads(json.dumps(here["verdict"], default=str))
    assert there["models"] == json.loads(json.dumps(here["models"], default=str))
    assert RunStore(store_url).open(seen["token"]).verdict.winner == here["winner"]  # the job saved it

    # Once collected, a late attach finds the job's ending, and its record in the run store the job saved it to.
    late = ray_executor.attach(handle.id)
    assert ray_executor.status(late).state is JobState.DONE
    reopened = ray_executor.result(late)
    assert reopened.saved.token == seen["token"] and reopened.result.verdict.winner == here["winner"]
    with pytest.raises(UnknownJob):
        ray_executor.attach("B" * 22)


def test_a_session_opened_with_the_job_id_follows_a_running_ray_job(
    ray_executor: executors.Executor, store_url: str,
) -> None:
    from views.state import _JOBS

    hostile = AppTest.from_file(str(APP), default_timeout=60)
    hostile.query_params["job"] = "<img src=x onerror=alert(1)>"
    hostile.run()
    assert not hostile.exception
    assert [e.value.replace("\\", "") for e in hostile.error] == [
        "The comparison in this link cannot be followed: that is not a comparison id (22 letters, digits, - or _)"
    ]  # one line, and the id is not echoed
    assert "job" not in hostile.query_params

    handle = ray_executor.submit(_job(1_200, 10, store_url))  # started elsewhere: not by this session
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["job"] = handle.id
    at.run()
    at.switch_page("app_pages/train.py").run()
    work = _JOBS[at.session_state["training_job"]]
    assert work.job_id == handle.id and work.dataset_name == "signal.csv" and work.target == "target"
    assert at.button(key="train_cancel")  # the page shows its progress with a Cancel button
    assert any("started in another session" in c.value for c in at.caption)
    errors = finish_training(at)
    assert not errors, errors
    run = at.session_state["run"]
    assert run.result.ran_on["executor"] == "ray" and run.token is not None
    assert any("Verdict on target (signal.csv)" in h.value.replace("\\", "") for h in at.subheader)
    assert "job" not in at.query_params
    assert ray_executor.result(handle).saved.token == run.token  # the same job, saved once
