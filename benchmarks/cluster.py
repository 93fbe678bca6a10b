"""``python -m benchmarks.cluster [--users N] [--replicas K] [--rows R] [--max-seconds S] [--cpus-per-node C]``

Load and faults on Ray, side by side with one in-process server, through the
engine's execution seam (engine.executors), on this machine only (127.0.0.1):

1. a two-node Ray cluster (``ray.cluster_utils.Cluster``, two raylets on this
   machine) takes N users' comparisons, each on a different seeded table,
   submitted from K app replicas: K processes, each its own Ray driver with
   its own :class:`RayExecutor` (as K Streamlit servers would be), the users
   dealt between them;
2. the same N comparisons on the in-process executor behind one server's
   training queue (``ADVISOR_MAX_CONCURRENT_TRAININGS``, as the dashboard);
3. a fault: two comparisons on the cluster, and the worker node is removed
   while they train.

Prints runs completed / submitted, p50 / p95 time to verdict and queue wait,
this process's peak RSS, and how each faulted run ended. Exits 1 when a run
of 1 or 2 did not complete, or when a faulted run did not end (failed or
done) within :data:`FAULT_END_SECONDS`: a hung run is the failure that matters.

Elsewhere: two real Streamlit servers on one store in a browser
(tests/test_e2e_replicas.py), full-data training above the 100,000-row
sample (benchmarks/full_data.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.datasets import make_mixed_table
from engine.measure.capacity import TrainingQueue, max_concurrent_trainings
from engine.io.dataset import Dataset
from engine.executors import Executor, JobState
from engine.executors.jobs import ComparisonJob
from engine.executors.local import InProcessExecutor

#: A faulted run must end (failed, or done if it finished first) within this many seconds of the node going.
FAULT_END_SECONDS = 120.0


def _jobs(users: range | list[int], rows: int, max_seconds: float, store_url: str) -> list[ComparisonJob]:
    return [ComparisonJob(Dataset.from_frame(make_mixed_table(rows, seed=100 + user), f"user-{user}.csv"), "target",
                          seed=user, max_seconds=max_seconds, shap_rows=20, save_to=store_url)
            for user in users]


def _replica(address: str, users: list[int], rows: int, max_seconds: float, store_url: str, start: Any,
             out: Any) -> None:
    """One app replica: its own process and Ray driver, submitting its users' comparisons once ``start`` is set."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    from engine.executors.ray_executor import RayExecutor

    executor = RayExecutor(address)
    jobs = _jobs(users, rows, max_seconds, store_url)
    start.wait()  # every replica connected and its tables made: the users arrive together
    runs = _drive(executor, jobs)
    out.put((runs, _peak_rss_mb()))


def _drive_replicas(address: str, replicas: int, users: int, rows: int, max_seconds: float,
                    store_url: str) -> tuple[list[dict[str, Any]], list[float]]:
    """The users dealt round-robin to ``replicas`` processes, each connected to the cluster on its own.

    Returns every user's run and each replica's peak RSS in MB.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # a fresh interpreter per replica, as a separate server is
    start, out = context.Event(), context.Queue()
    processes = [context.Process(target=_replica, args=(address, list(range(r, users, replicas)), rows, max_seconds,
                                                       store_url, start, out)) for r in range(replicas)]
    for process in processes:
        process.start()
    start.set()
    answers = [out.get(timeout=3_600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    return [run for runs, _ in answers for run in runs], [peak for _, peak in answers]


def _drive(executor: Executor, jobs: list[ComparisonJob], queue: TrainingQueue | None = None) -> list[dict[str, Any]]:
    """Each job from its own thread, as each user's session does; returns per run: ok, wait, total seconds, error."""
    runs: list[dict[str, Any]] = [{} for _ in jobs]

    def user(number: int, job: ComparisonJob) -> None:
        submitted = time.perf_counter()
        run = runs[number]
        ticket = object()
        try:
            if queue is not None:
                queue.join(ticket)
                queue.wait_turn(ticket, threading.Event())
            handle = executor.submit(job)
            while True:
                status = executor.status(handle)
                if status.state is not JobState.QUEUED and "wait" not in run:
                    run["wait"] = time.perf_counter() - submitted
                if status.done:
                    break
                time.sleep(0.2)
            run["node"] = status.where.get("node", "")
            executor.result(handle)
            run["ok"] = True
        except BaseException as error:  # noqa: BLE001  every ending counts, none may stop the benchmark
            run["ok"], run["error"] = False, f"{type(error).__name__}: {error}"
        finally:
            if queue is not None:
                queue.release(ticket)
            run.setdefault("wait", time.perf_counter() - submitted)
            run["seconds"] = time.perf_counter() - submitted

    threads = [threading.Thread(target=user, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs


def _row(name: str, runs: list[dict[str, Any]]) -> str:
    done = [r for r in runs if r.get("ok")]
    total = np.array([r["seconds"] for r in done]) if done else np.array([np.nan])
    wait = np.array([r["wait"] for r in runs])
    nodes = len({r.get("node") for r in done})
    return (f"{name:<28} {len(done):>3}/{len(runs):<3} {np.percentile(total, 50):>8.1f} {np.percentile(total, 95):>8.1f} "
            f"{np.percentile(wait, 50):>8.1f} {np.percentile(wait, 95):>8.1f} {nodes:>6}")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.split("\n\n")[1])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--replicas", type=int, default=1, help="app replicas (driver processes) the users are dealt to")
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--cpus-per-node", type=int, default=2, help="CPUs each Ray node declares (a comparison asks for 2)")
    args = parser.parse_args(argv)

    # Only loopback: Ray otherwise rewrites 127.0.0.1 in an address to the machine's outward address (before import).
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import ray
    from ray.cluster_utils import Cluster

    from engine.executors.ray_executor import RayExecutor

    lines = []
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        store_url = f"sqlite:///{Path(folder) / 'runs.sqlite3'}"
        started = time.perf_counter()
        loopback = {"node_ip_address": "127.0.0.1", "num_cpus": args.cpus_per_node}  # never another interface
        cluster = Cluster(initialize_head=True, head_node_args=loopback)
        worker_node = cluster.add_node(**loopback)
        cluster.wait_for_nodes()
        try:
            executor = RayExecutor(cluster.address)
            lines.append(f"two-node Ray cluster at {cluster.address} up in {time.perf_counter() - started:.1f} s")
            replica_peaks: list[float] = []
            if args.replicas > 1:
                on_ray, replica_peaks = _drive_replicas(cluster.address, args.replicas, args.users, args.rows, args.max_seconds,
                                         store_url)
            else:
                on_ray = _drive(executor, _jobs(range(args.users), args.rows, args.max_seconds, store_url))
            rss_ray = _peak_rss_mb()
            here = _drive(InProcessExecutor(), _jobs(range(args.users), args.rows, args.max_seconds, store_url),
                          TrainingQueue(max_concurrent_trainings()))
            rss_here = _peak_rss_mb()

            fault_jobs = _jobs(range(2), args.rows, max(args.max_seconds, 30.0), store_url)
            handles = [executor.submit(job) for job in fault_jobs]
            end = time.perf_counter() + FAULT_END_SECONDS
            while time.perf_counter() < end and not all(executor.status(h).state is not JobState.QUEUED for h in handles):
                time.sleep(0.2)
            cluster.remove_node(worker_node)  # the node goes while both train (one of them on it)
            removed = time.perf_counter()
            endings = []
            for handle in handles:
                while time.perf_counter() < removed + FAULT_END_SECONDS and not executor.status(handle).done:
                    time.sleep(0.2)
                status = executor.status(handle)
                endings.append(f"{status.state.value} after {time.perf_counter() - removed:.1f} s"
                               + (f" ({status.error})" if status.error else ""))
                if not status.done:
                    failures.append("a faulted run did not end")
        finally:
            ray.shutdown()
            cluster.shutdown()

    for name, runs in (("ray", on_ray), ("in-process", here)):
        failures += [f"{name}: {r['error']}" for r in runs if not r.get("ok")]
    print(f"{args.users} users, {args.rows:,} rows x 20 columns each, budget {args.max_seconds:g} s; "
          f"in-process queue capacity {max_concurrent_trainings()}")
    print("\n".join(lines))
    print(f"{'executor':<28} {'done':>7} {'p50 s':>8} {'p95 s':>8} {'wait50':>8} {'wait95':>8} {'nodes':>6}")
    print(_row(f"ray (2 nodes, {args.replicas} replica{'s' if args.replicas > 1 else ''})", on_ray))
    print(_row("in-process (one server)", here))
    print(f"peak RSS of this process: {rss_ray:.0f} MB after the Ray runs, {rss_here:.0f} MB after the in-process runs")
    if replica_peaks:
        print("peak RSS of each replica process: " + ", ".join(f"{peak:.0f} MB" for peak in replica_peaks))
    print("worker node removed mid-run: " + "; ".join(endings))
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
