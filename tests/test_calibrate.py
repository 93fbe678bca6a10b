"""benchmarks.corpus.calibrate: development results only, every variant logged, the prior kept unless beaten."""

from __future__ import annotations

import json

import pytest

from benchmarks.corpus.calibrate import (
    SealedResultsError, calibrate, development_rows, fit_confidence, read_results, regret, reliability,
)
from engine.common import thresholds as th


def row(name, kind, rows, winner, margin, **extra):
    return {"dataset": name, "kind": kind, "rows": rows, "winner": winner, "margin": margin, "conclusive": True,
            "source": "a package", "error": None} | extra


DEVELOPMENT = [
    row("t1", "tabular", 500, "tie", 0.0), row("t2", "tabular", 3_000, "ml", 0.02),
    row("t3", "tabular", 40_000, "ml", 0.01), row("t4", "tabular", 800, "dl", -0.03),
    row("i1", "images", 2_000, "dl", -0.05), row("i2", "images", 600, "tie", -0.002),
    row("x1", "text", 5_000, "ml", 0.03),
]


def test_sealed_results_are_refused():
    with pytest.raises(SealedResultsError, match="sealed split"):
        calibrate({"run": {"split": "sealed"}, "datasets": DEVELOPMENT}, variants=2, journal=None)
    # in a mixed file the sealed rows are dropped before anything else of them is read
    sealed = [{"dataset": "s", "split": "sealed"}]  # no winner, rows or margin: reading them would fail
    rows, note = development_rows({"run": {}, "datasets": [r | {"split": "development"} for r in DEVELOPMENT] + sealed})
    assert [r["dataset"] for r in rows] == [r["dataset"] for r in DEVELOPMENT]
    assert note["left_out"]["sealed"] == 1 and note["split"] == "development"
    with pytest.raises(SealedResultsError):
        calibrate({"run": {"split": "SEALED"}, "datasets": []}, journal=None)


def test_the_runners_sealed_file_is_refused_unopened_and_its_development_lines_are_read(tmp_path):
    sealed = tmp_path / "results-sealed.jsonl"
    sealed.write_text("not even JSON\n")
    with pytest.raises(SealedResultsError, match="results-sealed.jsonl holds the sealed split"):
        read_results(sealed)
    development = tmp_path / "results-development.jsonl"
    development.write_text(json.dumps({"type": "run", "split": "development"}) + "\n"
                           + "".join(json.dumps(r | {"type": "dataset", "split": "development", "origin": "real"}) + "\n"
                                     for r in DEVELOPMENT) + '{"type": "dataset", "dataset": "to')  # torn last line
    rows, note = development_rows(read_results(development))
    assert len(rows) == len(DEVELOPMENT) and note["split"] == "development" and note["left_out"]["not_judged"] == 0
    header_says_sealed = tmp_path / "results-latest.jsonl"
    header_says_sealed.write_text(json.dumps({"type": "run", "split": "sealed"}) + "\n")
    with pytest.raises(SealedResultsError):
        development_rows(read_results(header_says_sealed))
    simulated = DEVELOPMENT[0] | {"dataset": "sim", "origin": "simulated"}
    assert development_rows({"datasets": [simulated]})[1]["left_out"]["generated"] == 1


def test_unmarked_results_are_labelled_in_sample_and_generated_data_never_steer():
    generated = row("g", "tabular", 200_000, "dl", -0.6, source="generated: benchmarks/corpus/synthetic.py")
    broken = row("b", "tabular", 900, "ml", 0.1, conclusive=False)
    rows, note = development_rows({"run": {}, "datasets": DEVELOPMENT + [generated, broken]})
    assert "in-sample" in note["split"]
    assert note["left_out"] == {"sealed": 0, "generated": 1, "not_judged": 1}
    assert len(rows) == len(DEVELOPMENT)


def test_regret_counts_points_lost_and_train_both_pays_its_compute():
    dl_won = row("a", "tabular", 100, "dl", -0.04)
    assert regret("ml", dl_won) == pytest.approx(0.04)
    assert regret("dl", dl_won) == 0.0
    assert regret("either", dl_won) == th.PRACTICAL_TIE_MARGIN
    assert regret("ml", row("b", "tabular", 100, "tie", -0.2)) == 0.0


def test_every_variant_is_journalled_and_the_prior_stands_unless_beaten_out_of_sample(tmp_path):
    journal = tmp_path / "journal.jsonl"
    report = calibrate({"run": {"split": "development"}, "datasets": DEVELOPMENT}, variants=40, seed=3, journal=journal)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert len(lines) == 41 and lines[0]["variant"] == "prior"
    for line in lines:
        assert set(line) >= {"variant", "params", "split", "score", "date"}
        assert line["split"] == "development" and line["score"] <= 0
    assert report["method"]["variants_tried"] == 41
    prior_regret = report["prior"]["mean_regret"]
    assert prior_regret == pytest.approx(-lines[0]["score"], abs=1e-6)
    assert report["best_in_sample"]["mean_regret"] <= prior_regret
    if report["adopted"] == "prior":
        assert report["decision"].startswith("no fit beats the published prior")
    else:
        assert report["leave_one_dataset_out_regret"] < prior_regret
    # variants an expert would reject are logged with why, never adopted
    rejected = [line for line in lines if line["constraint_failures"]]
    assert all(line["variant"] != report["adopted"] for line in rejected)
    # the journal appends: a second run keeps the first run's lines
    calibrate({"run": {}, "datasets": DEVELOPMENT}, variants=1, journal=journal)
    assert len(journal.read_text().splitlines()) == 43


def test_confidence_map_is_fitted_monotone_and_checked_for_reliability():
    scores = [0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95] * 3
    right = [False, False, True, False, True, True, True, True, True, True] * 3
    a, b = fit_confidence(scores, right)
    assert b > 0  # more decisive votes were right more often here, and the fit says so
    all_wrong = fit_confidence([0.9] * 30, [False] * 30)
    assert all_wrong[0] + all_wrong[1] * 0.9 < 0  # a confident vote that was always wrong shows below 0.5
    table = reliability([0.55, 0.58, 0.75, 0.95], [True, False, True, True])
    assert table["table"][0] == {"bin": [0.5, 0.6], "n": 2, "mean_confidence": 0.565, "right": 0.5}
    assert table["brier"] == pytest.approx(((0.45 ** 2) + (0.58 ** 2) + (0.25 ** 2) + (0.05 ** 2)) / 4, abs=1e-4)


def test_a_close_call_has_its_own_confidence_the_tie_share_of_the_close_calls():
    """A close call claims a tie; a firm choice claims its family wins or ties. Fitted together, the close calls'
    misses dragged the firm map down and the firm hits lifted the close calls (0.71-0.77 shown, 4 of 8 ties)."""
    texts = [row("c1", "text", 5_000, "tie", 0.001), row("c2", "text", 8_000, "ml", 0.1),
             row("c3", "text", 12_000, "ml", 0.2), row("c4", "text", 19_000, "ml", 0.05)]
    tables = [row(f"t{i}", "tabular", 2_000 + 100 * i, "ml" if i % 3 else "tie", 0.02) for i in range(12)]
    report = calibrate({"run": {"split": "development"}, "datasets": texts + tables}, variants=0, journal=None)
    advice = {d["dataset"]: d["advice"] for d in report["per_dataset"]}
    assert [advice[name] for name in ("c1", "c2", "c3", "c4")] == ["either"] * 4 and advice["t1"] == "ml"
    close = report["confidence"]["close_call"]
    assert close == {"confidence": pytest.approx((1 + 1) / (4 + 2), abs=1e-4), "close_calls": 4, "ended_in_a_tie": 1,
                     "prior_datasets": 2.0}
    assert report["confidence"]["fitted_on"].startswith("the 12 firm choices")
    shown = {d["dataset"]: d["confidence"] for d in report["per_dataset"]}
    assert shown["c1"] == shown["c4"] == pytest.approx(close["confidence"], abs=1e-4)  # not the firm map's
    assert min(shown[f"t{i}"] for i in range(12)) > close["confidence"]


def test_the_committed_report_matches_the_engine():
    """calibration.json is what the engine votes with: the prior stands, and its confidence map is the engine's."""
    from engine.evidence.corpus import CORPUS_DIR

    report = json.loads((CORPUS_DIR / "calibration.json").read_text())
    assert report["adopted"] == "prior" and report["data"]["split"].startswith("development")
    assert report["data"]["left_out"]["sealed"] == 0
    assert report["prior"]["weights"] == th.CRITERION_WEIGHTS
    assert report["confidence"]["intercept"] == pytest.approx(th.CONFIDENCE_INTERCEPT, abs=1e-3)
    assert report["confidence"]["slope"] == pytest.approx(th.CONFIDENCE_SLOPE, abs=1e-3)
    assert report["confidence"]["close_call"]["confidence"] == pytest.approx(th.CLOSE_CALL_CONFIDENCE, abs=1e-3)
    journal = (CORPUS_DIR / "calibration_journal.jsonl").read_text().splitlines()
    assert len(journal) >= report["method"]["variants_tried"]


def test_the_target_guess_measure_counts_hits_per_part_and_never_counts_an_unbuilt_entry(tmp_path):
    import pandas as pd

    from benchmarks.corpus.target_guess import entries, measure

    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[dataset]]\nname = "a"\ntarget = "churn"\nsplit = "development"\norigin = "real"\nkind = "tabular"\n'
        '[[dataset]]\nname = "b"\ntarget = "x"\nsplit = "development"\norigin = "real"\nkind = "tabular"\n'
        '[[dataset]]\nname = "c"\ntarget = "y"\nsplit = "sealed"\norigin = "real"\nkind = "tabular"\n'
        '[[dataset]]\nname = "d"\ntarget = "y"\nsplit = "development"\norigin = "generated"\nkind = "tabular"\n'
        '[[dataset]]\nname = "e"\ntarget = "y"\nsplit = "development"\norigin = "real"\nkind = "tabular"\n')
    frame = pd.DataFrame({"x": [float(i) for i in range(40)], "churn": ["yes", "no"] * 20, "z": [1.5, 2.5] * 20})
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "b.csv", index=False)
    chosen = entries(manifest, "development")
    assert [e["name"] for e in chosen] == ["a", "b", "e"]
    result = measure(chosen, tmp_path)
    assert (result["hits"], result["n"], result["not_built"]) == (1, 2, ["e"])
    assert [r["guess"] for r in result["rows"]] == ["churn", "churn"]
