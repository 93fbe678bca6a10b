"""Eight users' data trained at once: each gets its own results, none errors, and memory returns
near its starting level afterwards (the peak is printed).

Eight threads run what the Train page runs for a session (parse the uploaded bytes, advise,
compare) on different tables at the same time, in one process, as a Streamlit server does.
``streamlit.testing.v1.AppTest`` cannot run sessions concurrently: each run swaps a global mock
runtime (``Runtime._instance``), so parallel runs break each other's session state; separate
sessions one after another are tested in tests/test_app_security.py.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
from pathlib import Path

import numpy as np
import torch

from engine.io.data import read_csv_bytes
from engine.measure.deadline import Deadline
from engine.models.dl import TorchMLPClassifier
from engine.run.pipeline import ComparisonResult, advise, compare
from tests.conftest import make_signal_table

SESSIONS = 8
# Growth of resident memory allowed after the sessions end, over the level after a warm-up session:
# allocator arenas of eight threads and Streamlit's bounded caches (parse cache: 16 entries) stay.
RETURN_MARGIN_BYTES = 300 * 2**20


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def release_memory() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # give freed heap pages back to the system
    except (OSError, AttributeError):
        pass


def session_csv(i: int) -> bytes:
    frame = make_signal_table(rows=300 + 20 * i, seed=i).add_prefix(f"s{i}_")
    return frame.rename(columns={f"s{i}_target": f"target_{i}"}).to_csv(index=False).encode()


def train_session(i: int, results: dict[int, object]) -> None:
    """What views/training does for one session: the uploaded bytes in, a comparison out."""
    try:
        frame = read_csv_bytes(session_csv(i))
        advice = advise(frame)
        results[i] = compare(frame, advice.profile.target, max_seconds=30, shap_rows=10, advice=advice, seed=i)
    except Exception as error:  # noqa: BLE001 - reported by the test below
        results[i] = error


def run_sessions(count: int) -> dict[int, object]:
    results: dict[int, object] = {}
    threads = [threading.Thread(target=train_session, args=(i, results)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return results


def test_eight_sessions_train_at_once_each_on_its_own_data() -> None:
    run_sessions(1)  # warm-up: imports, Streamlit's caches, torch's first optimiser
    release_memory()
    start = rss_bytes()
    peak = start
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_bytes())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    began = time.perf_counter()
    results = run_sessions(SESSIONS)
    seconds = time.perf_counter() - began
    stop.set()
    watcher.join()

    for i in range(SESSIONS):
        result = results.get(i)
        assert isinstance(result, ComparisonResult), f"session {i}: {result!r}"
        profile = result.advice.profile
        assert profile.target == f"target_{i}" and profile.rows == 300 + 20 * i
        assert all(c.startswith(f"s{i}_") for c in profile.feature_columns)  # nobody else's columns
        assert result.split.train_rows + result.split.test_rows == 300 + 20 * i
        for family in ("ml", "dl"):
            assert set(result.explanations[family].global_importance) <= set(profile.feature_columns)
            # each fitted model read this session's columns, not a neighbour's
            assert list(result.models[family][0].feature_names_in_) == list(profile.feature_columns)
        assert result.ml.metrics["accuracy"] > result.ml.baseline  # learned its own signal
    del results, result
    release_memory()
    end = rss_bytes()
    print(
        f"\n{SESSIONS} sessions trained at once in {seconds:.0f} s; resident memory {start / 2**20:.0f} MiB before, "
        f"peak {peak / 2**20:.0f} MiB, {end / 2**20:.0f} MiB after"
    )
    assert end - start <= RETURN_MARGIN_BYTES, (start, end)


# --- isolation: one session's training never moves another's results ------------------------


def _fingerprint(result: ComparisonResult) -> dict[str, object]:
    """What a user reads off a run: both models' metrics and intervals, and their SHAP importance."""
    # The clock cutting a stage short would make the runs differ by design; a plan below full work does not (it is
    # decided before training, from the budget and the data alone).
    assert not result.budget_stops, result.budget_stops
    return {
        "ml": (result.ml.metrics, result.ml.interval),
        "dl": (result.dl.metrics, result.dl.interval),
        "shap_ml": result.explanations["ml"].global_importance,
        "shap_dl": result.explanations["dl"].global_importance,
        "epochs": result.models["dl"][-1].n_epochs_,
    }


#: Each session's own options, so that the sessions at once also run different code paths: the
#: shared explainer (the permutation walk's own random orders) and the linear classic model.
_SESSION_OPTIONS: dict[int, dict[str, str]] = {1: {"explainer": "shared"}, 2: {"ml_kind": "linear"}}


def _compare_in_thread(i: int, results: dict[int, object]) -> None:
    """A session's comparison with a budget that does not bind on these small tables."""
    try:
        frame = read_csv_bytes(session_csv(i))
        advice = advise(frame)
        # A small budget plans little work (one split, few rounds and epochs), and a far deadline keeps the
        # clock, the safety net, from binding however busy the machine is: the plan alone decides the work.
        results[i] = _fingerprint(compare(frame, advice.profile.target, max_seconds=6, shap_rows=20, advice=advice,
                                          seed=i, deadline=Deadline(600), **_SESSION_OPTIONS.get(i, {})))
    except Exception as error:  # noqa: BLE001 - reported by the assertions
        results[i] = error


def _at_once(sessions: list[int]) -> dict[int, object]:
    results: dict[int, object] = {}
    threads = [threading.Thread(target=_compare_in_thread, args=(i, results)) for i in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return results


AT_ONCE = 4


def test_four_concurrent_comparisons_equal_their_solo_runs() -> None:
    """Same data, same seed: the same metrics and SHAP importance to the last digit, whether others train meanwhile or not.

    Four sessions on four different tables (two with other options) run at once in one
    process, as a Streamlit server runs them; each is compared, exactly (float equality, no
    tolerance), with the same comparison run alone. The record notes no nondeterminism to allow for:
    every random draw has its own seeded generator and the clock does not bind (see _fingerprint).
    """
    sessions = list(range(AT_ONCE))
    solo = {}
    for i in sessions:  # alone, one after the other (each in a thread, as a server runs it)
        solo |= _at_once([i])
    together = _at_once(sessions)
    for i in sessions:
        assert not isinstance(solo[i], Exception), solo[i]
        assert not isinstance(together[i], Exception), together[i]
        assert together[i] == solo[i], f"session {i} changed when others trained at once"
    fingerprints = [solo[i] for i in sessions]
    assert all(a != b for a, b in zip(fingerprints, fingerprints[1:]))  # four different runs, not one repeated


def test_a_network_ignores_the_process_wide_random_stream() -> None:
    """A network's initial weights, dropout masks and batch order come from its own seed alone.

    Another thread drawing from and reseeding PyTorch's process-wide generator (what a second
    session's training did through ``torch.manual_seed``) must not change the fitted network.
    """
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 6)).astype(np.float32)
    y = np.where(X[:, 0] - X[:, 1] + rng.normal(scale=0.5, size=400) > 0, "a", "b")

    def fit() -> np.ndarray:
        network = TorchMLPClassifier(hidden_sizes=(32,), dropout=0.3, max_epochs=8, patience=100, random_state=7)
        return network.fit(X, y).predict_proba(X)

    alone = fit()
    stop = threading.Event()

    def disturb() -> None:
        seed = 0
        while not stop.is_set():
            torch.manual_seed(seed)
            torch.rand(64)
            seed += 1

    disturber = threading.Thread(target=disturb)
    disturber.start()
    try:
        disturbed = [fit() for _ in range(2)]
    finally:
        stop.set()
        disturber.join()
    for probabilities in disturbed:
        np.testing.assert_array_equal(probabilities, alone)


def test_training_threads_leave_the_process_thread_setting_alone() -> None:
    """Only the main thread (a one-user CLI) may change PyTorch's process-wide thread count."""
    before = torch.get_num_threads()
    seen: list[int] = []

    def fit() -> None:
        network = TorchMLPClassifier(hidden_sizes=(8,), max_epochs=2, random_state=0, n_threads=before + 1)
        network.fit(np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32), np.arange(60) % 2,
                    on_epoch=lambda *_: seen.append(torch.get_num_threads()))

    worker = threading.Thread(target=fit)
    worker.start()
    worker.join()
    assert seen and set(seen) == {before}
    assert torch.get_num_threads() == before


# --- the global cap: a first-come queue -----------------------------------------------------


def test_the_queue_runs_at_most_its_capacity_in_arrival_order_and_a_waiting_ticket_can_cancel() -> None:
    from engine.measure.capacity import Cancelled, TrainingQueue

    queue = TrainingQueue(capacity=1)
    order: list[str] = []
    events = {name: threading.Event() for name in "abcd"}
    finish = {name: threading.Event() for name in "abcd"}
    errors: dict[str, BaseException] = {}

    def session(name: str) -> None:
        try:
            queue.wait_turn(name, events[name])
        except Cancelled as error:
            errors[name] = error
            return
        order.append(name)
        finish[name].wait(10)
        queue.release(name)

    for name in "abcd":
        queue.join(name)  # the order users pressed the button
    threads = {name: threading.Thread(target=session, args=(name,)) for name in "dcba"}  # threads start in reverse
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + 5
    while order != ["a"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert order == ["a"] and queue.counts() == (1, 3)
    assert [queue.ahead(name) for name in "bcd"] == [1, 2, 3]  # "1 comparison ahead of yours" (a, training)
    events["c"].set()  # c cancels while queued: it leaves at once, and d moves up
    threads["c"].join(5)
    assert isinstance(errors.get("c"), Cancelled) and queue.ahead("d") == 2
    for name in "abd":
        finish[name].set()
    for thread in threads.values():
        thread.join(5)
    assert order == ["a", "b", "d"] and queue.counts() == (0, 0)


def test_max_concurrent_trainings_reads_the_environment(monkeypatch) -> None:
    from engine.measure.capacity import MAX_TRAININGS_ENV, max_concurrent_trainings

    monkeypatch.setenv(MAX_TRAININGS_ENV, "3")
    assert max_concurrent_trainings() == 3
    monkeypatch.setenv(MAX_TRAININGS_ENV, "not a number")
    assert max_concurrent_trainings() >= 1
    monkeypatch.delenv(MAX_TRAININGS_ENV)
    assert max_concurrent_trainings() == max(1, (__import__("os").cpu_count() or 1) // 2)


def test_the_parse_cache_is_bounded_by_entries_bytes_and_age() -> None:
    from engine.measure.capacity import BoundedCache

    now = [0.0]
    cache = BoundedCache[str, bytes](max_entries=3, max_bytes=100, ttl_seconds=60, size_of=len, clock=lambda: now[0])
    for key in "abc":
        cache.get_or_make(key, lambda: b"x" * 30)
    assert len(cache) == 3 and cache.total_bytes() == 90
    cache.get_or_make("a", lambda: b"never made")  # a hit: "a" becomes the most recent
    cache.get_or_make("d", lambda: b"x" * 30)  # 120 bytes would overflow: the least recent, "b", goes
    assert len(cache) == 3 and cache.get_or_make("b", lambda: b"remade") == b"remade"
    huge = cache.get_or_make("huge", lambda: b"x" * 101)  # returned, never kept
    assert huge == b"x" * 101 and cache.get_or_make("huge", lambda: b"small") == b"small"
    now[0] = 61.0
    assert len(cache) == 0  # an hour-old parse (here a minute) is dropped
