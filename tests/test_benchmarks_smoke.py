"""benchmarks: the table and budget code on tiny inputs, the data generator, and one timed child process."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest

from benchmarks import budgets
from benchmarks.datasets import make_mixed_table
from benchmarks.harness import run_child
from benchmarks.report import STAGES, DatasetRuns, check_budgets, render, summarise, table
from tests.conftest import ROOT


def _run(seconds: float, explain: float, rss: float = 5e8) -> dict:
    stages = {s: 0.1 for s in STAGES if s != "both_sides_at_once"} | {"profile_and_split": 0.3, "evaluate": 0.2, "explain_ml": explain / 2, "explain_dl": explain / 2}
    return {"seconds": seconds, "rss": rss, "stages": stages, "explainers": ["tree", "deep"], "spearman": 0.5}


def _runs(size: int, fast: list[float], reference: list[float], shared: list[float], rss: float = 5e8) -> DatasetRuns:
    return DatasetRuns(
        name=f"{size // 1000}k x 20", rows=size, task="binary", size=size,
        fast=[_run(s, 1.0, rss) for s in fast], shared=[_run(s, 3.0) for s in shared],
        reference=[{"seconds": s, "rss": 4e8, "stages": {}} for s in reference],
        recommend=[{"seconds": 1.0, "rss": 2e8, "stages": {}}] if size >= 100_000 else [],
        metric="accuracy", product_scores={"ml": 0.90, "dl": 0.88}, reference_scores={"default_lightgbm": 0.902, "sklearn_mlp": 0.89},
        notes=["SHAP explains a sample of 500 of 2000 test rows"],
    )


def test_summary_takes_medians_and_ratios_of_side_by_side_pairs():
    s = summarise(_runs(10_000, fast=[10.0, 12.0, 30.0], reference=[5.0, 6.0, 10.0], shared=[11.0, 13.0, 14.0]))
    assert s["fast_seconds"] == 12.0 and s["reference_seconds"] == 6.0
    assert s["ratio"] == pytest.approx(2.0)  # pairs: 2.0, 2.0, 3.0
    assert s["fairness_cost"] == pytest.approx(3.0)
    # other = end to end minus the in-process stages (0.1 load + 0.3 + 5 x 0.1 train... ) per run, median.
    in_process = 0.1 + 0.3 + 0.1 + 0.1 + 0.2 + 1.0
    assert s["other"] == pytest.approx(12.0 - in_process)


def test_with_both_sides_at_once_other_counts_their_wall_time_once():
    runs = _runs(10_000, fast=[12.0], reference=[6.0], shared=[13.0])
    runs.fast[0]["stages"] |= {"both_sides_at_once": 2.0, "repeated_splits": 0.5}
    # load + profile_and_split + both sides' wall time + repeated splits; the sides' own stages overlap inside it
    assert summarise(runs)["other"] == pytest.approx(12.0 - (0.1 + 0.3 + 2.0 + 0.5))


def test_budgets_pass_and_fail_at_their_limits():
    ok = [summarise(_runs(10_000, [6.6], [6.0], [10.0])), summarise(_runs(100_000, [14.0], [14.0], [28.0]))]
    checks = check_budgets(ok)
    budget_names = {c.name for c in checks if c.kind == "budget"}
    assert {"compare 10k x 20, fast explainers, end to end", "compare 100k x 20, peak RSS",
            "load + profile + recommend 100k x 20, end to end", "compare 100k x 20 / reference script"} <= budget_names
    assert all(c.passed for c in checks if c.kind == "budget")
    # ML 0.900 vs 0.902 is -0.2 points: within the goal; DL 0.88 vs 0.89 misses it.
    goals = {c.name.split(": ", 1)[1]: c.passed for c in checks if c.kind == "goal" and c.name.startswith("10k")}
    assert goals == {"ML - default LightGBM (accuracy)": True, "DL - sklearn MLP (accuracy)": False}

    slow = check_budgets([summarise(_runs(10_000, [budgets.COMPARE_10K_SECONDS + 0.5], [5.0], [10.0]))])
    assert not next(c for c in slow if c.name.startswith("compare 10k x 20, fast")).passed
    fast_only = check_budgets([summarise(_runs(10_000, [6.6], [6.0], []))])  # benchmarks --fast-only
    assert all(c.passed for c in fast_only if c.kind == "budget") and not any("shared" in c.name for c in fast_only)
    behind = check_budgets([summarise(_runs(10_000, [6.7], [6.0], [10.0])), summarise(_runs(100_000, [14.2], [14.0], [20.0]))])
    assert not next(c for c in behind if c.name == "compare 10k x 20 / reference script").passed  # 1.12x > 1.10x
    assert not next(c for c in behind if c.name == "compare 100k x 20 / reference script").passed  # 1.01x > 1.00x
    heavy = check_budgets([summarise(_runs(100_000, [20.0], [14.0], [20.0], rss=1.6e9))])
    assert not next(c for c in heavy if c.name == "compare 100k x 20, peak RSS").passed
    broken = _runs(10_000, [9.0], [6.0], [10.0])
    broken.failures.append("compare --explainer fast exited 1: error: internal error")
    assert any(not c.passed and c.kind == "budget" for c in check_budgets([summarise(broken)]))


def test_render_holds_every_section():
    summaries = [summarise(_runs(1_000, [5.0], [5.0], [6.0])), summarise(_runs(100_000, [25.0], [14.0], [28.0]))]
    text = render(summaries, check_budgets(summaries), "header line")
    for part in ("header line", "Stages", *STAGES, "peak RSS MB", "ratio", "Cost of fairness", "3.00x",
                 "default LightGBM", "sklearn MLP", "load + profile + recommend", "SHAP explains a sample", "Budgets"):
        assert part in text, part
    assert "1.79x" in text  # 25 / 14


def test_table_aligns_columns():
    text = table(["name", "n"], [["a", 1], ["long name", 22.5]])
    lines = text.splitlines()
    assert len({len(line) for line in lines[:2]}) == 1
    assert lines[3].endswith("22.50") and lines[2].endswith(" " * 4 + "1")  # numbers right-aligned
    assert len(lines[2]) == len(lines[3])


def test_mixed_table_is_seeded_and_mixed():
    frame = make_mixed_table(300)
    assert frame.shape == (300, budgets.COLUMNS + 1)
    assert frame.equals(make_mixed_table(300))
    assert not frame.equals(make_mixed_table(300, seed=1))
    kinds = frame.drop(columns="target").dtypes
    assert (kinds == float).sum() == 14 and (kinds != float).sum() == 6
    assert set(frame["target"]) == {"yes", "no"} and 0.2 < (frame["target"] == "yes").mean() < 0.8
    assert 0 < frame.isna().to_numpy().mean() < 0.05


def test_child_run_reports_time_rss_and_output():
    child = run_child([sys.executable, "-c", "import json, numpy; a = numpy.ones(20_000_000); print(json.dumps({'ok': 1}))"], timeout=60)
    assert child.ok and child.json() == {"ok": 1}
    assert child.peak_rss_bytes > 160e6  # 20M float64 = 160 MB, in the child's own peak
    assert 0 < child.seconds < 60
    failed = run_child([sys.executable, "-c", "import sys; sys.exit(3)"], timeout=60)
    assert failed.returncode == 3 and not failed.ok


def test_reference_script_runs_on_the_engine_split(tmp_path):
    """The reference script imports the engine's date parser and split; one tiny run proves the imports hold."""
    frame = make_mixed_table(300)
    frame["day"] = pd.date_range("2022-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d")
    csv = tmp_path / "mixed.csv"
    frame.to_csv(csv, index=False)
    features = [c for c in frame.columns if c != "target"]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "csv": str(csv), "target": "target", "task": "binary", "features": features, "seed": 0, "shap_rows": 10,
        "hidden": [8], "epochs": 1, "batch_size": 64, "background_rows": 5,
    }))
    child = run_child([sys.executable, str(ROOT / "benchmarks" / "reference.py"), str(spec)], timeout=300)
    assert child.ok, child.stderr[-2000:]
    result = child.json()
    assert result["rows_explained"] == 10
    assert {"encode_and_split", "train_ml", "train_dl", "explain_ml", "explain_dl"} <= set(result["stages"])


def test_full_data_scores_every_row_and_the_paired_accuracy_on_unseen_rows_is_the_test_accuracy(tmp_path) -> None:
    """benchmarks.full_data's paired comparison: a small in-process path scores every row of its table; on the rows
    it did not train on (here, below the sampling cap, exactly its test rows) that is the accuracy it reported."""
    import numpy as np

    from benchmarks import full_data

    scores = tmp_path / "in-process.npz"
    out = full_data._path("in-process", 3_000, max_seconds=5, cpus_per_node=1, scores=str(scores))
    with np.load(scores) as saved:
        arrays = dict(saved)
    assert arrays["trained"].sum() == out["train_rows"] and len(arrays["trained"]) == 3_000
    paired = full_data.paired_accuracy(arrays, arrays)
    assert paired["rows"] == out["test_rows"]
    for family in ("ml", "dl"):
        assert paired["accuracy"][0][family] == pytest.approx(out["accuracy"][family])
    # rows the other path trained on are left out of both scores
    other = dict(arrays, trained=np.roll(arrays["trained"], 1))
    assert full_data.paired_accuracy(arrays, other)["rows"] < paired["rows"]


def test_loading_benchmark_reads_every_case_repaired_and_judges_its_budget():
    from benchmarks import loading

    cases = loading.make_cases(scale=0.01)
    assert [case.name for case in cases] == list(loading.LOADING_BUDGETS)
    results = [loading.measure(case, repeats=1) for case in cases]
    assert all(result["repaired"] for result in results)  # each file is shaped so that its repair happens
    assert sum(len(case.becomes_numbers) for case in cases) == 5
    amounts = results[2]
    assert loading.passed(amounts)
    assert not loading.passed(amounts | {"seconds": amounts["budget_seconds"] + 0.01})
    assert not loading.passed(amounts | {"profile_seconds": amounts["profile_budget_seconds"] + 0.01})
    assert all(result["profiled"] for result in results) and list(loading.PROFILE_BUDGETS) == list(loading.LOADING_BUDGETS)
    unrepaired = loading.Case("numbers, wide", (2, 2), b"a,b\nx,1\ny,2\n", ",", ("a",))
    assert not loading.passed(loading.measure(unrepaired, repeats=1))  # a column left as text misses, however fast
    spaced = loading.Case("text columns, wide", (2, 2), b"a,b\nx ,1\ny,2\n", ",", (), ("a",))
    assert not loading.passed(loading.measure(spaced, repeats=1))  # a stray space left in misses too


def test_formats_benchmark_reads_every_format_as_the_csv_of_its_rows_and_judges_its_budget():
    from benchmarks import formats

    results = [formats.measure(fmt, rows=200, repeats=1) for fmt in formats.ROWS]
    assert [r["format"] for r in results] == list(formats.BUDGETS)
    assert all(r["same_as_csv"] for r in results), [r["format"] for r in results if not r["same_as_csv"]]
    first = results[0]
    assert formats.passed(first) and not formats.passed(first | {"seconds": first["budget_seconds"] + 0.01})
    assert not formats.passed(first | {"same_as_csv": False})
    assert "MISSED" in formats.render([first | {"same_as_csv": False}])
