"""Both sides at once (engine.run.pipeline.sides_at_once): the same record as one after the other, and cancel stops both."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from engine.run import pipeline
from engine.measure.capacity import Cancelled
from engine.measure.deadline import Deadline
from engine.run.pipeline import SEQUENTIAL_ENV, compare
from tests.conftest import make_signal_table

CLASSIC, NETWORK = "Training the classic ML model", "Training the neural network"


def _run(monkeypatch: pytest.MonkeyPatch, frame, sequential: bool, **options):
    monkeypatch.setenv(SEQUENTIAL_ENV, "1" if sequential else "0")
    lines: list[str] = []
    # A far deadline: the clock is a safety net, and on a loaded machine it could cut one run and not the other.
    result = compare(frame, "target", seed=7, deadline=Deadline(10_000), progress=lambda m, f: lines.append(m), **options)
    return result, lines


def _assert_same_record(first, second) -> None:
    for family in ("ml", "dl"):
        one, two = getattr(first, family), getattr(second, family)
        assert one.name == two.name and one.metrics == two.metrics  # to the last digit
        np.testing.assert_array_equal(one.predictions, two.predictions)
        assert one.interval == two.interval and one.notes == two.notes
        np.testing.assert_array_equal(first.explanations[family].values, second.explanations[family].values)
        assert first.explanations[family].global_importance == second.explanations[family].global_importance
    assert first.verdict == second.verdict
    assert first.agreement == second.agreement
    assert first.notes == second.notes and first.budget_stops == second.budget_stops
    assert first.work_budget == second.work_budget and first.work_done == second.work_done
    assert first.selection == second.selection and first.options == second.options
    np.testing.assert_array_equal(first.split.explained_positions, second.split.explained_positions)


@pytest.mark.parametrize("rows", [1_200, 200], ids=["one split, explained by each side", "repeated splits"])
def test_at_once_and_one_after_the_other_give_the_same_record(monkeypatch, rows):
    from engine.common import thresholds

    frame = make_signal_table(rows=rows, seed=3)
    options: dict = dict(shap_rows=25, max_seconds=8)
    if rows < 1_000:  # conftest turns repeated splits off; this case needs them
        monkeypatch.setattr(thresholds, "SMALL_DATA_ROWS", 1_000)
        options = dict(shap_rows=5, max_seconds=120, ml_kind="boosting")
    sequential, sequential_lines = _run(monkeypatch, frame, True, **options)
    at_once, at_once_lines = _run(monkeypatch, frame, False, **options)
    _assert_same_record(sequential, at_once)
    assert (at_once.verdict.splits > 1) is (rows < 1_000)
    assert "both_sides_at_once" in at_once.stage_seconds and "both_sides_at_once" not in sequential.stage_seconds
    # One after the other, the network's first line comes after the classic side's last; at once, both report.
    assert any(line.startswith(NETWORK) for line in at_once_lines) and any(line.startswith(CLASSIC) for line in at_once_lines)
    last_classic = max(i for i, line in enumerate(sequential_lines) if line.startswith(CLASSIC))
    assert min(i for i, line in enumerate(sequential_lines) if line.startswith(NETWORK)) > last_classic


def test_cancel_during_concurrent_training_stops_both_sides(monkeypatch):
    monkeypatch.setenv(SEQUENTIAL_ENV, "0")
    frame = make_signal_table(rows=4_000, seed=1)
    seen: dict[str, int] = {"classic": 0, "network": 0}
    after_cancel: list[str] = []
    cancelled = threading.Event()

    def progress(message: str, fraction: float) -> None:
        if cancelled.is_set():
            after_cancel.append(message)
            raise Cancelled()
        if message.startswith(f"{CLASSIC}: tree"):
            seen["classic"] += 1
        if message.startswith(f"{NETWORK}: epoch"):
            seen["network"] += 1
        if seen["classic"] and seen["network"]:
            cancelled.set()  # the user presses Cancel while both sides train
            raise Cancelled()

    with pytest.raises(Cancelled):
        compare(frame, "target", ml_kind="boosting", max_seconds=60, shap_rows=20, progress=progress,
                deadline=Deadline(10_000))
    assert cancelled.is_set()
    assert not [t for t in threading.enumerate() if t.name == "compare-classic-side"]  # the classic thread ended
    # Each side stopped at its next report at the latest: nothing was explained, no side went on reporting.
    assert not any("Explaining" in line for line in after_cancel)
    assert sum(line.startswith(CLASSIC) for line in after_cancel) <= 1
    assert sum(line.startswith(NETWORK) for line in after_cancel) <= 1


def test_a_failing_side_stops_the_other_and_its_error_is_raised(monkeypatch):
    monkeypatch.setenv(SEQUENTIAL_ENV, "0")
    from engine.models import ml

    def broken(*args, **kwargs):
        raise ValueError("the classic side broke")

    monkeypatch.setattr(ml, "time_budget_callback", broken)  # the boosting fit's first step
    lines: list[str] = []
    with pytest.raises(ValueError, match="classic side broke"):
        compare(make_signal_table(rows=1_200), "target", ml_kind="boosting", max_seconds=8, shap_rows=10,
                deadline=Deadline(10_000), progress=lambda m, f: lines.append(m))
    assert not [t for t in threading.enumerate() if t.name == "compare-classic-side"]
    assert not any(line.startswith("Explaining") for line in lines)  # the network stopped at its next report


def test_one_core_or_the_switch_runs_the_sides_in_turn(monkeypatch):
    monkeypatch.setenv(SEQUENTIAL_ENV, "1")
    assert not pipeline.sides_at_once()
    monkeypatch.setenv(SEQUENTIAL_ENV, "0")
    monkeypatch.setattr(pipeline.os, "sched_getaffinity", lambda pid: {0})
    assert not pipeline.sides_at_once()
    monkeypatch.setattr(pipeline.os, "sched_getaffinity", lambda pid: {0, 1})
    assert pipeline.sides_at_once()


INTERLEAVED = (f"{CLASSIC}: tree 20 of 200", f"{NETWORK}: epoch 1 (validation loss 0.5)",
               f"{CLASSIC}: tree 40 of 200", f"{NETWORK}: epoch 2 (validation loss 0.4)")
LATEST = [f"{CLASSIC}: tree 40 of 200", f"{NETWORK}: epoch 2 (validation loss 0.4)"]


def test_the_progress_log_and_the_job_keep_each_sides_latest_line_once():
    from engine.executors.base import ProgressLog
    from views.state import Job

    log = ProgressLog()
    job = Job(data=None, dataset_name="d.csv", target="y", options={})  # type: ignore[arg-type]
    for message in INTERLEAVED:
        log.add(message, 0.1)
        job.progress(message, 0.1)
    for steps, lines in ((log.steps, log.lines), (job.steps, job.latest)):
        assert steps == [CLASSIC, NETWORK]  # not classic, network, classic, network
        assert [lines[step] for step in steps] == LATEST


def test_preload_imports_the_training_libraries_in_the_background_and_compare_waits_for_it():
    code = (
        "import sys, time\n"
        "from engine.measure import preload\n"
        "start = time.perf_counter(); preload.start(set_torch_threads=True); returned = time.perf_counter() - start\n"
        "import engine.advice.recommend\n"  # the main thread goes on (profiling, advice) meanwhile
        "preload.wait()\n"
        "assert returned < 0.5, returned\n"
        "assert all(m in sys.modules for m in preload.MODULES), [m for m in preload.MODULES if m not in sys.modules]\n"
        # The CLI trains in a worker thread: the count set by the preload holds there (torch reads it per thread).
        "import threading, torch\n"
        "seen = []\n"
        "worker = threading.Thread(target=lambda: (torch.ones(300, 300) @ torch.ones(300, 300), seen.append(torch.get_num_threads())))\n"
        "worker.start(); worker.join()\n"
        "assert seen == [3], seen\n"
        "print('ok')\n"
    )
    env = {**os.environ, "ADVISOR_TORCH_THREADS": "3"}  # not torch's default here (the machine's cores)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_compare_waits_for_the_background_import_before_it_trains(monkeypatch):
    from engine.measure import preload

    calls: list[str] = []
    monkeypatch.setattr(preload, "wait", lambda: calls.append("wait"))
    real_warm_up = pipeline._warm_up
    monkeypatch.setattr(pipeline, "_warm_up", lambda *args: calls.append("warm_up") or real_warm_up(*args))
    compare(make_signal_table(rows=300), "target", shap_rows=5, max_seconds=3)
    assert calls[0] == "wait" and "warm_up" in calls
