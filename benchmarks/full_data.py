"""``python -m benchmarks.full_data [--rows 1000000 5000000] [--max-seconds S] [--cpus-per-node C]``

Full-data training on a cluster against the in-process sample, side by side in one run, on this machine
only (127.0.0.1). For each size, the same seeded mixed table (benchmarks/datasets.py, 20 columns):

- **in-process**: ``compare`` in one process, the table sampled to engine.common.limits.MAX_COMPARE_ROWS
  (100,000) as without a cluster;
- **Ray, full data**: a two-node Ray cluster (``ray.cluster_utils.Cluster``, two raylets on this machine,
  ``--cpus-per-node`` each, 1 GB of object store each); ``compare`` runs in the child process, connected
  to the cluster as its driver (``--in-job``: as a Ray task through engine.executors instead), every row kept
  (``ADVISOR_MAX_TRAIN_ROWS`` unset: 10,000,000 on Ray), the two families trained data-parallel on
  ``ADVISOR_RAY_TRAIN_WORKERS`` (2) Ray Train workers (engine.models.distributed).

Each path runs in its own child process (the table is made there, not read from a file: 5,000,000 rows
would pass the 200 MB upload cap). Printed per path: seconds of ``compare`` (table made and cluster started
excluded; the cluster's start is printed apart), the peak memory (the kernel's VmHWM) of each process
role (the driver; on Ray also the job's worker, the largest Ray Train worker and Ray's own processes),
the rows and workers each family trained on, and each family's test accuracy. The in-process figures
are on its own 20,000-row test sample, the Ray ones on the full data's 20 % test rows: different rows, so
their gap mixes the models' difference with the test samples' noise. Each path therefore also scores its
two models on every row of the table, and the last table compares the two paths **paired**, on the same
rows: those that neither path trained on (for 1,000,000 rows about 184,000: Ray's 200,000 test rows less
the in-process sample's training rows among them), against the practical tie margin
(engine.common.thresholds.PRACTICAL_TIE_MARGIN).

Exits 1 when a path fails, when the full-data run trained either family on fewer rows than it holds, or
when a family's paired accuracy differs between the paths by more than the tie margin.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

#: Seconds one path may take before it counts as failed.
PATH_TIMEOUT_SECONDS = 3_600


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (read from /proc: no extra package)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _peak(pid: int) -> tuple[str, int] | None:
    """A process's name (Ray's workers name themselves ``ray::<what>``) and its peak RSS in bytes."""
    try:
        name = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return name, int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class _PeakWatcher:
    """Samples every process below this one twice a second, keeping each one's peak RSS by role."""

    def __init__(self) -> None:
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "_PeakWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        for pid in _descendants(os.getpid()):
            seen = _peak(pid)
            if seen is not None:
                self.peaks[pid] = (seen[0], max(seen[1], self.peaks.get(pid, ("", 0))[1]))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def by_role(self) -> dict[str, float]:
        """Peak GB: the largest Ray Train worker, the job's worker, and Ray's own processes (largest)."""
        roles: dict[str, float] = {}
        for name, peak in self.peaks.values():
            if "RayTrainWorker" in name:
                role = "train worker"
            elif "_run_job" in name:
                role = "job worker"
            elif name.startswith("ray::"):
                continue  # idle pool workers, the progress board, controllers: small
            else:
                role = "ray system"
            roles[role] = max(roles.get(role, 0.0), peak / 1e9)
        return roles


#: Rows per prediction call when each path scores its models on every row (bounded memory at 5,000,000 rows).
PREDICT_CHUNK_ROWS = 500_000


def _path(mode: str, rows: int, max_seconds: float, cpus_per_node: int, in_job: bool = False,
          scores: str | None = None) -> dict[str, Any]:
    """One path, in this (child) process: the table, then ``compare`` in-process or as a job on a 2-node cluster.

    With ``scores`` (a .npz path) and the fitted models at hand, also writes which rows the path trained on and
    whether each family's prediction is right on every row of the table (for the paired comparison).
    """
    import resource

    from benchmarks.datasets import make_mixed_table
    from engine.io.dataset import Dataset
    from engine.executors import run_to_end
    from engine.executors.jobs import ComparisonJob

    frame = make_mixed_table(rows)
    job = ComparisonJob(Dataset.from_frame(frame, f"mixed_{rows}.csv"), "target", seed=0, max_seconds=max_seconds,
                        shap_rows=100, ml_kind="boosting")
    del frame
    out: dict[str, Any] = {"mode": mode, "rows": rows}
    if mode == "in-process":
        from engine.executors.local import InProcessExecutor

        started = time.perf_counter()
        outcome = run_to_end(job, InProcessExecutor())
        out["seconds"] = time.perf_counter() - started
        out["peaks_gb"] = {}
    else:
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        os.environ["ADVISOR_RAY_CPUS"] = "0"  # the job mostly waits on its trainers, which take every CPU
        import ray
        from ray.cluster_utils import Cluster

        from engine.executors.ray_executor import RayExecutor

        loopback = {"node_ip_address": "127.0.0.1", "num_cpus": cpus_per_node, "object_store_memory": 10**9}
        started = time.perf_counter()
        cluster = Cluster(initialize_head=True, head_node_args=loopback)
        cluster.add_node(**loopback)
        cluster.wait_for_nodes()
        try:
            executor = RayExecutor(cluster.address)
            out["cluster_start_seconds"] = time.perf_counter() - started
            with _PeakWatcher() as watcher:
                started = time.perf_counter()
                if in_job:
                    outcome = run_to_end(job, executor)
                else:
                    outcome = job.run(lambda message, fraction: None, {"executor": "ray", "node": "driver"})
                out["seconds"] = time.perf_counter() - started
            out["peaks_gb"] = watcher.by_role()
        finally:
            ray.shutdown()
            cluster.shutdown()
    out["peaks_gb"]["driver"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    result = outcome.result
    out |= {"train_rows": result.split.train_rows, "test_rows": result.split.test_rows, "training": result.training,
            "accuracy": {f: getattr(result, f).metrics["accuracy"] for f in ("ml", "dl")},
            "winner": result.verdict.winner, "stage_seconds": result.stage_seconds,
            "notes": result.notes + result.ml.notes + result.dl.notes}
    if scores and getattr(result, "models", None) and getattr(result, "data_split", None) is not None:
        _write_scores(scores, rows, result)
        out["scores"] = scores
    return out


def _write_scores(path: str, rows: int, result: Any) -> None:
    """Rows the path trained on, and per family whether its prediction is right on every row (one .npz)."""
    import numpy as np

    from benchmarks.datasets import make_mixed_table

    frame = make_mixed_table(rows)  # the same seeded table the path was given
    truth = frame.pop("target").to_numpy()
    right = {family: np.zeros(rows, dtype=bool) for family in ("ml", "dl")}
    for start in range(0, rows, PREDICT_CHUNK_ROWS):
        chunk = frame.iloc[start:start + PREDICT_CHUNK_ROWS]
        for family in right:
            right[family][start:start + len(chunk)] = (
                np.asarray(result.models[family].predict(chunk)) == truth[start:start + len(chunk)])
    trained = np.zeros(rows, dtype=bool)
    trained[result.data_split.X_train.index.to_numpy()] = True
    np.savez(path, trained=trained, **right)


def paired_accuracy(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Each path's accuracy per family on the rows neither trained on (arrays as :func:`_write_scores` writes them)."""
    import numpy as np

    unseen = ~first["trained"] & ~second["trained"]
    return {"rows": int(unseen.sum()),
            "accuracy": [{family: float(np.mean(scores[family][unseen])) for family in ("ml", "dl")}
                         for scores in (first, second)]}


def _run_path(mode: str, rows: int, args: argparse.Namespace, scores: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as sink:
        command = [sys.executable, "-m", "benchmarks.full_data", "--one", mode, "--rows", str(rows),
                   "--max-seconds", str(args.max_seconds), "--cpus-per-node", str(args.cpus_per_node),
                   "--sink", sink.name, "--scores", scores] + (["--in-job"] if args.in_job else [])
        try:
            child = subprocess.run(command, capture_output=True, text=True, timeout=PATH_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return {"mode": mode, "rows": rows, "error": f"timed out after {PATH_TIMEOUT_SECONDS} s"}
        text = Path(sink.name).read_text()
        if child.returncode != 0 or not text:
            return {"mode": mode, "rows": rows, "error": (child.stderr.strip().splitlines() or ["no output"])[-1]}
        return json.loads(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.full_data", description=__doc__.split("\n\n")[1])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--cpus-per-node", type=int, default=1, help="CPUs each of the two Ray nodes declares")
    parser.add_argument("--in-job", action="store_true", help="on Ray, compare as a Ray task (the app's path)")
    parser.add_argument("--one", choices=("in-process", "ray"), help=argparse.SUPPRESS)
    parser.add_argument("--sink", help=argparse.SUPPRESS)
    parser.add_argument("--scores", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        Path(args.sink).write_text(json.dumps(_path(args.one, args.rows[0], args.max_seconds, args.cpus_per_node,
                                                    args.in_job, args.scores), default=str))
        return 0

    import numpy as np

    from engine.common.thresholds import PRACTICAL_TIE_MARGIN

    failures, results, paired = [], [], {}
    with tempfile.TemporaryDirectory(prefix="full-data-scores-") as scratch:
        for rows in args.rows:
            saved = {mode: Path(scratch) / f"{mode}-{rows}.npz" for mode in ("in-process", "ray")}
            for mode, scores in saved.items():
                outcome = _run_path(mode, rows, args, str(scores))
                results.append(outcome)
                print(json.dumps(outcome, default=str), file=sys.stderr, flush=True)
                if "error" in outcome:
                    failures.append(f"{rows:,} rows, {mode}: {outcome['error']}")
                elif mode == "ray" and any(side["rows"] != outcome["train_rows"] or side["workers"] < 2
                                           for side in outcome["training"].values()):
                    failures.append(f"{rows:,} rows on Ray: a family did not train on every training row data-parallel")
            if all(path.is_file() for path in saved.values()):
                with np.load(saved["in-process"]) as first, np.load(saved["ray"]) as second:
                    paired[rows] = paired_accuracy(dict(first), dict(second))
    print(f"budget {args.max_seconds:g} s; Ray: 2 nodes x {args.cpus_per_node} CPU on 127.0.0.1, "
          "both families data-parallel on 2 Ray Train workers")
    print(f"{'rows':>10} {'path':<11} {'trained on':>22} {'seconds':>8} {'driver':>7} {'job':>6} {'worker':>7} "
          f"{'ray sys':>7} {'acc ML':>7} {'acc DL':>7}  (peak GB per process)")
    for r in results:
        if "error" in r:
            print(f"{r['rows']:>10,} {r['mode']:<11} ERROR {r['error']}")
            continue
        peaks = r["peaks_gb"]
        trained = f"{r['train_rows']:,} x {r['training']['ml']['workers']}w/{r['training']['dl']['workers']}w"

        def gb(role: str) -> str:
            return f"{peaks[role]:.2f}" if role in peaks else "-"

        print(f"{r['rows']:>10,} {r['mode']:<11} {trained:>22} {r['seconds']:>8.1f} {gb('driver'):>7} "
              f"{gb('job worker'):>6} {gb('train worker'):>7} {gb('ray system'):>7} "
              f"{r['accuracy']['ml']:>7.4f} {r['accuracy']['dl']:>7.4f}")
        if "cluster_start_seconds" in r:
            print(f"{'':>10} {'':<11} cluster start {r['cluster_start_seconds']:.1f} s (not counted)")
    if paired:
        print(f"\npaired: both paths' models on the same rows, those neither trained on; "
              f"practical tie margin {PRACTICAL_TIE_MARGIN * 100:g} points")
        print(f"{'rows':>10} {'scored on':>10} {'ML in-proc':>10} {'ML Ray':>7} {'gap':>6} "
              f"{'DL in-proc':>10} {'DL Ray':>7} {'gap':>6}  (gap: Ray - in-process, points)")
        for rows, entry in paired.items():
            here, ray_ = entry["accuracy"]
            cells = []
            for family in ("ml", "dl"):
                gap = (ray_[family] - here[family]) * 100
                within = "" if abs(gap) <= PRACTICAL_TIE_MARGIN * 100 else "*"
                if within:
                    failures.append(f"{rows:,} rows: {family.upper()} on Ray differs from in-process by {gap:+.2f} "
                                    f"points on the same rows (tie margin {PRACTICAL_TIE_MARGIN * 100:g})")
                cells.append(f"{here[family]:>10.4f} {ray_[family]:>7.4f} {gap:>+5.2f}{within or ' '}")
            print(f"{rows:>10,} {entry['rows']:>10,} {' '.join(cells)}")
        print("(* outside the tie margin)")
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
