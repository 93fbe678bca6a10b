"""``python -m benchmarks [--quick] [--repeats N] [--sizes ...] [--no-samples] [--json PATH]``

Times every stage of the product on seeded synthetic tables (1k, 10k, 100k rows
x 20 mixed columns) and on every sample dataset, end to end as child processes
(``python -m engine compare ... --json``, process start to JSON), next to a
plain reference script doing only the core work on the same rows; compares
both sides' metrics to reference models on the same split; prints the tables
and exits 1 when a budget of ``benchmarks/budgets.py`` is missed.

``--quick``: one repeat of 1k and 10k, no sample datasets (about a minute).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import budgets as b
from benchmarks.datasets import write_mixed_table
from benchmarks.harness import PYTHON, ChildRun, run_child
from benchmarks.report import DatasetRuns, check_budgets, render, summarise

REFERENCE_SCRIPT = Path(__file__).resolve().with_name("reference.py")
DASHBOARD_SCRIPT = Path(__file__).resolve().with_name("dashboard.py")


def _tabular_samples() -> list[Path]:
    """The bundled samples that are tables (text and images have their own benchmarks: --text, --images)."""
    from engine import advise, kind_for
    from engine.io import samples

    return [p for p in samples.sample_paths() if kind_for(advise(samples.load_sample(p.name)).profile).key == "tabular"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="one repeat of 1k and 10k rows, no sample datasets")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (medians are reported)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(b.SIZES), help="rows of the synthetic tables")
    parser.add_argument("--no-samples", action="store_true", help="skip the sample datasets")
    parser.add_argument("--no-reference-models", action="store_true", help="skip the default LightGBM / sklearn MLP scores")
    parser.add_argument("--fast-only", action="store_true",
                        help="time the product with its fast explainers only (no shared-definition runs, no cost-of-fairness figures)")
    parser.add_argument("--no-dashboard", action="store_true",
                        help="skip the dashboard timers (upload to advice, train click to verdict; once per synthetic table)")
    parser.add_argument("--json", type=Path, help="also write the summaries and checks to this file")
    parser.add_argument("--data-dir", type=Path, help="where to write the synthetic CSVs (default: a temporary folder)")
    parser.add_argument("--text", action="store_true", help="only the text budget (benchmarks/text.py)")
    parser.add_argument("--images", action="store_true", help="only the image budgets (benchmarks/images.py)")
    args = parser.parse_args(argv)
    if args.text:
        from benchmarks import text

        return text.main(["--with-sample"] + (["--json", str(args.json)] if args.json else []))
    if args.images:
        from benchmarks import images

        return images.main()
    if args.quick:
        args.repeats, args.sizes, args.no_samples = 1, [s for s in args.sizes if s <= 10_000] or [1_000], True
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="benchmarks-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        datasets: list[tuple[Path, int | None]] = [(write_mixed_table(n, data_dir), n) for n in args.sizes]
        if not args.no_samples:
            datasets += [(p, None) for p in _tabular_samples()]
        summaries = []
        for path, size in datasets:
            print(f"[{time.perf_counter() - started:6.0f}s] {path.name}", file=sys.stderr, flush=True)
            runs = measure(path, size, args.repeats, Path(scratch), reference_models=not args.no_reference_models,
                           dashboard=size is not None and not args.no_dashboard,
                           modes=("fast",) if args.fast_only else ("fast", "shared"))
            summaries.append(summarise(runs))
    checks = check_budgets(summaries)
    header = (
        f"ML vs DL Advisor benchmark: {platform.node()} ({_cpus()} CPUs), Python {platform.python_version()}, "
        f"{args.repeats} repeat(s), SHAP on {b.SHAP_ROWS} rows for both models, {time.perf_counter() - started:.0f} s in all.\n"
        "Product and reference run as child processes with the same environment (OMP_WAIT_POLICY=PASSIVE).\n"
    )
    print(render(summaries, checks, header))
    if args.json:
        args.json.write_text(json.dumps({"summaries": summaries, "checks": [c.__dict__ for c in checks]}, indent=2, default=str))
    missed = [c for c in checks if c.kind == "budget" and not c.passed]
    print(f"\n{'all budgets met' if not missed else f'{len(missed)} budget(s) missed'}")
    return 1 if missed else 0


def measure(path: Path, size: int | None, repeats: int, scratch: Path, reference_models: bool = True,
            dashboard: bool = False, modes: tuple[str, ...] = ("fast", "shared")) -> DatasetRuns:
    """Run the reference script, the product (fast, then shared) and, for big tables, `recommend`, ``repeats`` times.

    ``dashboard``: also time the dashboard once (benchmarks/dashboard.py: upload to advice, train click to verdict).
    """
    from engine.io.data import read_csv_path
    from engine.run.pipeline import advise

    profile = advise(read_csv_path(path)).profile
    name = path.stem if size is None else f"{size // 1000}k x {b.COLUMNS}"
    runs = DatasetRuns(name=name, rows=profile.rows, task=profile.task.value, size=size)
    spec = scratch / f"{path.stem}.reference.json"
    spec.write_text(json.dumps({
        "csv": str(path), "target": profile.target, "task": profile.task.value, "features": profile.feature_columns,
        "seed": b.SEED, "shap_rows": b.SHAP_ROWS, "hidden": list(b.REFERENCE_HIDDEN), "epochs": b.REFERENCE_EPOCHS,
        "batch_size": b.REFERENCE_BATCH_SIZE, "background_rows": b.REFERENCE_BACKGROUND_ROWS,
    }))
    compare = [PYTHON, "-m", "engine", "compare", str(path), "--seed", str(b.SEED), "--shap-rows", str(b.SHAP_ROWS), "--json"]
    for _ in range(repeats):
        reference = run_child([PYTHON, str(REFERENCE_SCRIPT), str(spec)], b.CHILD_TIMEOUT_SECONDS)
        if _record(runs, "reference", reference):
            runs.reference.append({"seconds": reference.seconds, "rss": reference.peak_rss_bytes, "stages": reference.json()["stages"]})
        for mode in modes:
            child = run_child(compare + ["--explainer", mode], b.CHILD_TIMEOUT_SECONDS)
            if not _record(runs, f"compare --explainer {mode}", child):
                continue
            payload = child.json()
            getattr(runs, mode).append(_compare_run(child, payload))
            if mode == "fast" and not runs.product_scores:
                metric = payload["verdict"]["metric"]
                runs.metric = metric
                runs.product_scores = {f: payload["models"][f]["metrics"][metric] for f in ("ml", "dl")}
                runs.notes = [n for n in payload.get("notes", []) if not n.startswith("not used as features")]
        if size is not None and size >= 100_000:
            recommend = run_child([PYTHON, "-m", "engine", "recommend", str(path), "--json"], b.CHILD_TIMEOUT_SECONDS)
            if _record(runs, "recommend", recommend):
                runs.recommend.append({"seconds": recommend.seconds, "rss": recommend.peak_rss_bytes,
                                       "stages": recommend.json().get("stage_seconds", {})})
    if dashboard:
        app = run_child([PYTHON, str(DASHBOARD_SCRIPT), str(path)], b.CHILD_TIMEOUT_SECONDS)
        if _record(runs, "dashboard (AppTest)", app):
            runs.dashboard.append(app.json())
    if reference_models:
        from benchmarks.reference_models import reference_scores

        scores = reference_scores(path, seed=b.SEED)
        runs.reference_scores = {"default_lightgbm": scores.default_lightgbm, "sklearn_mlp": scores.sklearn_mlp}
    return runs


def _compare_run(child: ChildRun, payload: dict[str, Any]) -> dict[str, Any]:
    explanations = payload["explanations"]
    return {
        "seconds": child.seconds, "rss": child.peak_rss_bytes, "stages": payload["stage_seconds"],
        "explainers": [explanations["ml"]["explainer"], explanations["dl"]["explainer"]],
        "spearman": explanations["agreement"]["spearman"],
    }


def _record(runs: DatasetRuns, what: str, child: ChildRun) -> bool:
    if child.ok:
        return True
    last = (child.stderr.strip().splitlines() or ["no output"])[-1]
    runs.failures.append(f"{what} exited {child.returncode}: {last}")
    return False


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    raise SystemExit(main())
