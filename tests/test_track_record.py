"""engine.evidence.track_record: advice against measurement, per dataset, with the criterion that misled it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.__main__ import main
from engine.advice.recommend import Criterion
from engine.common import thresholds as th
from engine.evidence.corpus import load_manifest, select_entries
from engine.io.data import DataError
from engine.evidence.track_record import (
    CONSTANT_ADVISORS, DatasetRecord, TrackRecord, agrees, describe_params, format_score, format_table, git_state, hit,
    journal_rows, log_variant, mcnemar_exact, measured_code_changed, misleading_criterion, read_journal,
    read_results_lines, regret_points, reliability_table, sample_datasets, score, summarise, track_record,
    wilson_interval,
)
from tests.conftest import SAMPLE_DATA


def _criteria() -> list[Criterion]:
    return [
        Criterion("data_structure", "tabular", -1.0, 3.0, ""),  # contribution -3.0
        Criterion("data_volume", "rows", -0.6, 2.0, ""),  # -1.2
        Criterion("transparency", "low", 0.5, 2.0, ""),  # +1.0
        Criterion("compute", "GPU", 0.7, 1.0, ""),  # +0.7
        Criterion("feature_engineering", "unknown", 0.0, 1.5, ""),  # 0
    ]


@pytest.mark.parametrize(
    ("recommendation", "winner", "expected"),
    [
        ("ml", "ml", None),
        ("ml", "tie", None),
        ("dl", "tie", None),
        ("either", "tie", None),
        ("ml", "dl", "data_structure"),  # hardest pull toward ML
        ("dl", "ml", "transparency"),  # hardest pull toward DL
        ("either", "ml", "transparency"),  # a close call, but ML won: DL's strongest pull misled it
        ("either", "dl", "data_structure"),
    ],
)
def test_misleading_criterion(recommendation, winner, expected):
    culprit = misleading_criterion(_criteria(), recommendation, winner)
    assert (culprit.name if culprit else None) == expected


def test_no_criterion_pulled_the_wrong_way():
    only_ml = [c for c in _criteria() if c.contribution <= 0]
    assert misleading_criterion(only_ml, "dl", "ml") is None


def test_agreement_rate_counts_only_compared_datasets():
    record = TrackRecord([
        DatasetRecord("a.csv", agreed=True), DatasetRecord("b.csv", agreed=False),
        DatasetRecord("c.csv", agreed=True), DatasetRecord("bad.csv", error="the file is empty"),
    ])
    payload = record.to_dict()
    assert payload["compared"] == 3 and payload["agreed"] == 2
    assert payload["agreement_rate"] == pytest.approx(2 / 3)
    assert TrackRecord().agreement_rate is None


def test_track_record_on_a_small_subset(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    wine = SAMPLE_DATA / "wine.csv"
    record = track_record([wine, empty], shap_rows=10, max_seconds=5)
    good, bad = record.records
    assert (good.dataset, good.rows, good.task, good.metric) == ("wine.csv", 178, "multiclass", "accuracy")
    # "unfair": the clock cut a side short (5 s on a loaded machine); such a verdict is recorded, never judged
    assert good.recommendation in ("ml", "dl", "either") and good.winner in ("ml", "dl", "tie", "unfair")
    assert (good.winner == "unfair") == (good.fair is False) and (good.fair is not False or good.conclusive is False)
    assert good.margin == pytest.approx(good.ml_score - good.dl_score)
    assert good.agreed == ((good.winner in (good.recommendation, "tie")) if good.recommendation != "either" else good.winner == "tie")
    assert (good.misled_by is None) == (good.agreed or good.winner == "unfair")
    assert bad.error and bad.agreed is None
    payload = record.to_dict()
    judged = 1 if good.conclusive else 0  # a flagged model makes the verdict inconclusive: not judged
    assert payload["compared"] == judged and payload["agreement_rate"] == (float(good.agreed) if judged else None)
    table = format_table(payload)
    assert "wine.csv" in table and "empty.csv" in table and "agreement: " in table


def test_several_seeds_are_pooled_into_one_test_whose_winner_interval_and_p_value_agree():
    """Issue 17: never a vote of per-seed winners beside averaged bounds and a median p-value."""
    from engine.measure.evaluate import corrected_resampled_ttest

    (record,) = track_record([SAMPLE_DATA / "wine.csv"], shap_rows=5, max_seconds=5, seeds=3).records
    assert record.seeds == 3 and len(record.seed_winners) == len(record.seed_margins) == 3
    assert record.method == "corrected resampled t-test" and record.splits == 3  # one split per seed here
    assert sorted(record.split_differences) == pytest.approx(sorted(record.seed_margins))
    mean, (low, high), p_value = corrected_resampled_ttest(np.asarray(record.split_differences), 142, 36)
    assert (record.margin, record.interval_low, record.interval_high) == pytest.approx((mean, low, high))
    assert record.p_value == pytest.approx(p_value)
    if record.fair:
        tied = low <= 0 <= high or abs(mean) < th.PRACTICAL_TIE_MARGIN
        assert record.winner == ("tie" if tied else "ml" if mean > 0 else "dl")
    else:
        assert record.winner == "unfair"


def test_track_record_command(capsys):
    code = main(["track-record", "--json", "--datasets", str(SAMPLE_DATA / "wine.csv"), "--shap-rows", "10", "--max-seconds", "5"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert [d["dataset"] for d in payload["datasets"]] == ["wine.csv"]
    assert set(payload) >= {"datasets", "agreed", "compared", "agreement_rate", "rule"}
    assert set(payload["datasets"][0]) >= {"recommendation", "winner", "margin", "agreed", "misled_by"}


def test_default_datasets_are_the_samples():
    expected = sorted(p.name for p in SAMPLE_DATA.iterdir() if p.name.endswith((".csv", ".zip", ".csv.gz")))
    assert [p.name for p in sample_datasets()] == expected
    assert {"movie_reviews.csv", "digit_images.zip"} <= set(expected)  # text and images are in the record too
    assert len(sample_datasets()) >= 5


def _fixed_table() -> list[DatasetRecord]:
    return [
        DatasetRecord("a", recommendation="ml", winner="ml", agreed=True, conclusive=True, target_guessed=True),
        DatasetRecord("b", recommendation="ml", winner="tie", agreed=True, conclusive=True, target_guessed=True),
        DatasetRecord("c", recommendation="ml", winner="dl", agreed=False, conclusive=True, target_guessed=False),
        DatasetRecord("d", recommendation="either", winner="tie", agreed=True, conclusive=True, target_guessed=True),
        DatasetRecord("e", recommendation="dl", winner="ml", agreed=False, conclusive=False),  # inconclusive: not judged
        DatasetRecord("f", pending="waits for the images data kind on main", target_guessed=True),
    ]


def test_hit_rates_and_naive_advisors_on_a_fixed_table():
    summary = summarise(_fixed_table())
    assert (summary["judged"], summary["decisive"], summary["ties"], summary["inconclusive"], summary["pending"]) == (4, 2, 2, 1, 1)
    rates = {"advisor": summary["advisor"]} | summary["naive"]
    got = {name: (r["ties_agree"]["hits"], r["ties_agree"]["n"], r["decisive_only"]["hits"], r["decisive_only"]["n"])
           for name, r in rates.items()}
    assert got == {"advisor": (3, 4, 1, 2), "always_ml": (3, 4, 1, 2), "always_dl": (3, 4, 1, 2), "always_train_both": (2, 4, 0, 2)}
    assert summary["advisor"]["ties_agree"]["interval"] == pytest.approx([0.3006, 0.9544], abs=1e-4)  # Wilson, 3 of 4
    assert summary["target_guess"]["hits"] == 4 and summary["target_guess"]["n"] == 5
    assert TrackRecord(_fixed_table()).to_dict()["compared"] == 4


def test_wilson_interval_edges():
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7225, abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)


def test_corpus_command_on_a_two_entry_subset(tmp_path, monkeypatch, capsys):
    from benchmarks.corpus import build_entry
    from engine.evidence import corpus

    for entry in select_entries(load_manifest(), ["iris", "diabetes"]):
        build_entry(entry, tmp_path)
    monkeypatch.setattr(corpus, "CACHE_DIR", tmp_path)
    results = tmp_path / "out" / "results.jsonl"
    code = main(["track-record", "--corpus", "--only", "iris", "diabetes", "--max-seconds", "5", "--shap-rows", "5",
                 "--results", str(results), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert [d["dataset"] for d in payload["datasets"]] == ["iris", "diabetes"]
    assert [d["target"] for d in payload["datasets"]] == ["species", "progression"]
    assert all(d["target_guessed"] for d in payload["datasets"])
    assert "[1/2] iris: advice" in captured.err and "[2/2] diabetes: advice" in captured.err
    header, records = read_results_lines(results)
    assert header["type"] == "run" and header["entries"] == ["iris", "diabetes"] and header["split"] == "all"
    commit, dirty = git_state()
    assert [r.dataset for r in records] == ["iris", "diabetes"] and {(r.commit, r.dirty) for r in records} == {(commit, dirty)}
    assert all(r.split == "development" and r.group == "scikit-learn" and r.ml_seconds is not None for r in records)
    assert all(0 < r.cpu_seconds and r.max_seconds == 5 for r in records)
    assert payload["score"]["datasets"] == 2 and set(payload["score"]["advisors"]) == {"advisor", *CONSTANT_ADVISORS}
    assert payload["run"]["whole_corpus"] is False and payload["run"]["entries"] == ["iris", "diabetes"]  # issue 12's fields stay
    assert main(["track-record", "--corpus", "--only", "iris", "--results", str(tmp_path / "r.json")]) == 2
    assert "--results must name a .jsonl file" in capsys.readouterr().err


def test_an_interrupted_corpus_run_resumes_without_rerunning(tmp_path, monkeypatch):
    """Records are appended as datasets finish; a rerun skips the ones in the file, and a torn last line is ignored."""
    from benchmarks.corpus import build_entry
    from engine.evidence import track_record as module

    entries = select_entries(load_manifest(), ["iris", "wine", "diabetes"])
    for entry in entries:
        build_entry(entry, tmp_path)
    ran: list[str] = []

    def fake_run_one(job, *args):
        ran.append(job.name)
        if job.name == "wine" and len(ran) == 2 and not (tmp_path / "resumed").exists():
            raise KeyboardInterrupt  # the run is stopped while the second dataset trains
        return DatasetRecord(job.name, recommendation="ml", winner="ml", agreed=True, conclusive=True, margin=0.1, splits=1,
                             confidence=0.8, metric="accuracy")

    monkeypatch.setattr(module, "_run_one", fake_run_one)
    results = tmp_path / "results.jsonl"
    with pytest.raises(KeyboardInterrupt):
        module.corpus_track_record(entries, cache=tmp_path, results=results, run_info={"split": "all"})
    assert [r.dataset for r in read_results_lines(results)[1]] == ["iris"]
    with results.open("a") as handle:
        handle.write('{"type": "dataset", "dataset": "wi')  # torn by the interruption
    (tmp_path / "resumed").touch()
    said: list[str] = []
    record = module.corpus_track_record(entries, cache=tmp_path, results=results, progress=said.append)
    assert ran == ["iris", "wine", "wine", "diabetes"]  # iris was not run again
    assert [r.dataset for r in record.records] == ["iris", "wine", "diabetes"]
    assert said[0] == f"1 dataset(s) already in {results}: resuming with the other 2"
    header, records = read_results_lines(results)
    assert header["split"] == "all" and [r.dataset for r in records] == ["iris", "wine", "diabetes"]

    def unfair_then_fair(job, *args):
        ran.append(job.name)
        return DatasetRecord(job.name, recommendation="ml", winner="unfair" if len(ran) == 5 else "ml", agreed=False,
                             conclusive=False, margin=0.1, splits=1, confidence=0.8, metric="accuracy")

    monkeypatch.setattr(module, "_run_one", unfair_then_fair)
    results.write_text(results.read_text().replace('"dataset": "wine", "rows": null, "task": null, "recommendation": "ml", '
                                                   '"confidence": 0.8, "winner": "ml"', '"dataset": "wine", "rows": null, '
                                                   '"task": null, "recommendation": "ml", "confidence": 0.8, "winner": "unfair"'))
    assert read_results_lines(results)[1][1].winner == "unfair"
    module.corpus_track_record(entries, cache=tmp_path, results=results)
    assert ran[4:] == ["wine"]  # an unfair verdict is not finished: it is run again, and its new line wins
    assert [r.winner for r in read_results_lines(results)[1]] == ["ml", "unfair", "ml"]


def _scored_table() -> list[DatasetRecord]:
    def row(name, advice, winner, margin, confidence, kind, ml_s, dl_s, **extra):
        return DatasetRecord(name, recommendation=advice, winner=winner, margin=margin, confidence=confidence, kind=kind,
                             ml_seconds=ml_s, dl_seconds=dl_s, agreed=agrees(advice, winner), conclusive=True, origin="real",
                             **extra)

    return [
        row("a", "ml", "ml", 0.05, 0.8, "tabular", 1, 3),
        row("b", "ml", "tie", -0.002, 0.6, "tabular", 1, 2),
        row("c", "ml", "dl", -0.10, 0.7, "text", 2, 10),
        row("d", "either", "tie", 0.001, 0.55, "tabular", 1, 1),
        row("e", "dl", "ml", 0.03, 0.9, "images", 1, 5),
        row("f", "dl", "dl", -0.20, 0.95, "images", 1, 4),
        DatasetRecord("g", recommendation="ml", winner="dl", margin=-0.3, agreed=False, conclusive=False, origin="real"),
        DatasetRecord("h", error="the file is empty", origin="real"),
        DatasetRecord("i", recommendation="ml", winner="ml", margin=0.5, confidence=0.9, agreed=True, conclusive=True,
                      origin="generated"),
    ]


def test_scoring_arithmetic_on_a_fixed_table():
    summary = score(_scored_table())
    assert (summary["datasets"], summary["judged"], summary["decisive"], summary["ties"], summary["errors"]) == (8, 6, 4, 2, 1)
    assert summary["inconclusive_datasets"] == ["g"] and summary["error_datasets"] == ["h"]  # listed, not dropped
    figures = summary["advisors"]
    got = {name: (f["exact"]["hits"], f["exact"]["n"], f["decisive_only"]["hits"], f["decisive_only"]["n"],
                  round(f["regret"]["total"], 6), round(f["regret"]["median"], 6), f["compute_seconds"])
           for name, f in figures.items()}
    assert got == {
        "advisor": (3, 6, 2, 4, 13.2, 0.1, 15.0),
        "always_ml": (2, 6, 2, 4, 30.2, 0.1, 7.0),
        "always_dl": (2, 6, 2, 4, 8.1, 0.05, 25.0),  # regrets 5, 0, 0, 0.1, 3, 0
        "always_train_both": (2, 6, 0, 4, 0.0, 0.0, 32.0),
        "by_kind": (3, 6, 3, 4, 3.2, 0.0, 22.0),
    }
    assert summary["best_constant"] == "by_kind"
    assert summary["mcnemar"] == {"against": "by_kind", "only_advisor": 1, "only_constant": 1, "p_value": 1.0}
    assert summary["mcnemar_decisive"]["only_advisor"] == 0 and summary["mcnemar_decisive"]["only_constant"] == 1
    bins = {(b["low"], b["high"]): (b["right"], b["n"]) for b in summary["reliability"]["bins"]}
    assert bins == {(0.5, 0.6): (1, 1), (0.6, 0.7): (0, 1), (0.7, 0.8): (0, 1), (0.8, 0.9): (1, 1), (0.9, 1.0): (1, 2)}
    assert summary["reliability"]["brier"] == pytest.approx(1.905 / 6)
    # The confidence's own event (the advised family won or tied): b's firm advice on a tie is right there.
    stated = {(b["low"], b["high"]): (b["right"], b["n"]) for b in summary["reliability_of_confidence"]["bins"]}
    assert stated == {(0.5, 0.6): (1, 1), (0.6, 0.7): (1, 1), (0.7, 0.8): (0, 1), (0.8, 0.9): (1, 1), (0.9, 1.0): (1, 2)}
    assert summary["reliability_of_confidence"]["brier"] == pytest.approx(1.705 / 6)
    printed = [line for line in format_score(summary, "t").splitlines() if "own event" in line]
    assert printed == ["reliability of the confidence's own event (a firm choice's family won or tied; a close call "
                       "tied): 50-60%: 1/1; 60-70%: 1/1; 70-80%: 0/1; 80-90%: 1/1; 90-100%: 1/2; Brier "
                       f"{1.705 / 6:.3f}"]
    assert summary["plain"].startswith("The advice is no better than the constant rule “ML for tables, DL for text and images”")
    everything = score(_scored_table(), real_only=False)
    assert everything["datasets"] == 9 and everything["advisors"]["advisor"]["exact"]["hits"] == 4


def test_regret_and_hits():
    assert regret_points("ml", -0.05) == pytest.approx(5.0) and regret_points("dl", 0.05) == pytest.approx(5.0)
    assert regret_points("ml", 0.05) == 0.0 and regret_points("either", -0.4) == 0.0 and regret_points("dl", None) == 0.0
    assert hit("either", "tie") and not hit("ml", "tie") and hit("dl", "dl") and not hit("either", "ml")
    assert agrees("ml", "tie")  # the old, lenient rule: kept for the in-sample file only


def test_mcnemar_exact_is_the_sign_test_on_discordant_pairs():
    assert mcnemar_exact([True] * 10 + [False], [False] * 10 + [False])["p_value"] == pytest.approx(2 * 0.5 ** 10)
    assert mcnemar_exact([True, True, False], [False, True, True]) == {"only_advisor": 1, "only_constant": 1, "p_value": 1.0}
    assert mcnemar_exact([True], [True])["p_value"] == 1.0  # no discordant pair: no evidence either way
    better = [DatasetRecord(f"d{i}", recommendation="ml", winner="ml", margin=0.1, confidence=0.9, kind="text",
                            agreed=True, conclusive=True) for i in range(12)]
    summary = score(better)
    assert summary["best_constant"] == "always_ml" and summary["plain"].startswith("The advice is no better")
    mixed = better + [DatasetRecord(f"t{i}", recommendation="either", winner="tie", margin=0.0, confidence=0.6, kind="tabular",
                                    agreed=True, conclusive=True) for i in range(12)]
    beaten = score(mixed)
    assert beaten["advisors"]["advisor"]["exact"]["hits"] == 24 and beaten["mcnemar"]["p_value"] < 0.05
    assert beaten["plain"].startswith("The advice named the outcome more often than the best constant rule")
    firm_on_ties = [DatasetRecord(f"t{i}", recommendation="ml", winner="tie", margin=0.0, confidence=0.9, kind="tabular",
                                  agreed=True, conclusive=True) for i in range(12)]
    worse = score(firm_on_ties)
    assert worse["best_constant"] == "always_train_both" and worse["mcnemar"]["p_value"] < 0.05
    assert worse["plain"] == ("The advice is worse than the constant rule “always train both”: 0 against 12 of 12 right, "
                              "more than chance explains (exact McNemar p < 0.001).")
    near = score(firm_on_ties[:3])  # 0 against 3: p = 0.25, no evidence either way
    assert near["plain"].startswith("The advice is no better than the constant rule “always train both”: 0 against 3")


def test_reliability_table_edges():
    table = reliability_table([1.0, 0.5, 0.45], [True, False, True])
    bins = {(b["low"], b["high"]): (b["right"], b["n"]) for b in table["bins"]}
    assert bins[(0.9, 1.0)] == (1, 1) and bins[(0.5, 0.6)] == (0, 1) and bins[(0.0, 0.5)] == (1, 1)
    assert table["brier"] == pytest.approx((0.0 + 0.25 + 0.3025) / 3)
    assert reliability_table([], [])["brier"] is None


def test_calibration_journal_appends_and_refuses_the_sealed_part(tmp_path):
    journal = tmp_path / "journal.jsonl"
    log_variant("volume-smooth", "volume score as a logistic curve in log rows", {"exact": 0.61}, author="advice", path=journal)
    log_variant("baseline", "the published weights", {"exact": 0.55}, path=journal)
    lines = read_journal(journal)
    assert [l["variant"] for l in lines] == ["volume-smooth", "baseline"] and lines[0]["figures"] == {"exact": 0.61}
    assert lines[0]["split"] == "development" and lines[0]["commit"] == git_state()[0]
    with pytest.raises(DataError, match="never tuned on"):
        log_variant("peek", "scored on the sealed part", {}, split="sealed", path=journal)
    assert len(read_journal(journal)) == 2 and read_journal(tmp_path / "none.jsonl") == []



def test_journal_rows_read_every_writers_lines_and_say_what_each_score_measures(tmp_path):
    journal = tmp_path / "journal.jsonl"
    log_variant("volume-smooth", "volume score as a logistic curve in log rows", {"exact": 0.61}, path=journal)
    with journal.open("a") as handle:  # as benchmarks/corpus/calibrate.py and target_guess.py write them
        handle.write(json.dumps({"variant": "random-0-1", "params": {"weights": {"data_structure": 3.9656, "compute": 1.0},
                                 "volume_curves": {"text": [5.7218, 2.8695]}, "close_call_band": 0.2513},
                                 "split": "development", "score": -0.004003, "score_is": "minus mean regret (metric points)",
                                 "hits": 19, "n": 22, "constraint_failures": ["data_volume weighs 2.62 > structure 2.55",
                                                                              "19,000 text rows: dl"],
                                 "date": "2026-12-02T11:17:51+00:00"}) + "\n")
        handle.write(json.dumps({"variant": "target-guess-v6c", "what": "the kept variant, measured once", "split": "sealed",
                                 "score": 0.5676, "score_is": "target guess hit rate on the sealed part", "hits": 21,
                                 "n": 37, "decision": "measured once; no tuning after it"}) + "\n")
    rows = journal_rows(read_journal(journal))
    assert [r["split"] for r in rows] == ["development", "development", "sealed"]
    assert rows[0]["what changed"] == "volume score as a logistic curve in log rows"
    assert json.loads(rows[0]["figures"]) == {"exact": 0.61} and rows[0]["at"] is not None
    assert rows[1]["what changed"] == ("weights: data_structure 3.97, compute 1; volume_curves: text 5.72/2.87; "
                                       "close_call_band 0.251")
    assert rows[1]["decision"] == ("breaks the expert constraints: data_volume weighs 2.62 > structure 2.55; "
                                   "19,000 text rows: dl")
    assert rows[1]["at"] == "2026-12-02T11:17:51+00:00" and (rows[1]["right"], rows[1]["of"]) == (19, 22)
    assert rows[2]["what changed"] == "the kept variant, measured once" and rows[2]["decision"].startswith("measured once")
    assert [r["score is"] for r in rows][1:] == ["minus mean regret (metric points)", "target guess hit rate on the sealed part"]
    assert describe_params({}) == ""


def git_repository(folder: Path):
    """A fresh git work tree in ``folder``; returns ``commit(path, text) -> commit id``."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=folder,
                              capture_output=True, text=True, check=True).stdout.strip()

    def commit(path: str, text: str) -> str:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
        git("add", path)
        git("commit", "-q", "-m", path)
        return git("rev-parse", "HEAD")

    git("init", "-q")
    return commit


def test_measured_code_changed_ignores_pages_and_names_engine_files(tmp_path):
    commit = git_repository(tmp_path)
    measured = commit("engine/advice.py", "WEIGHT = 3\n")
    commit("app_pages/track_record.py", "# a page\n")
    (tmp_path / "README.md").write_text("untracked docs\n")
    assert measured_code_changed(measured, tmp_path) == []  # a page commit and untracked docs: nothing measured changed
    (tmp_path / "engine" / "advice.py").write_text("WEIGHT = 4\n")
    assert measured_code_changed(measured, tmp_path) == ["engine/advice.py"]  # an uncommitted engine change counts
    remeasured = commit("engine/advice.py", "WEIGHT = 4\n")
    commit("benchmarks/corpus/manifest.toml", "[[dataset]]\n")
    assert measured_code_changed(measured, tmp_path) == ["benchmarks/corpus/manifest.toml", "engine/advice.py"]
    assert measured_code_changed(remeasured, tmp_path) == ["benchmarks/corpus/manifest.toml"]
    assert measured_code_changed("0" * 40, tmp_path) is None  # a commit this clone does not have
    assert measured_code_changed(measured, Path("/")) is None  # not a git work tree


def test_git_state_names_this_commit():
    commit, dirty = git_state()
    assert commit is not None and len(commit) == 40 and isinstance(dirty, bool)
    assert git_state(Path("/")) == (None, None)


def test_the_sealed_part_refuses_a_dirty_tree(monkeypatch, capsys):
    from engine.evidence import track_record as module

    monkeypatch.setattr(module, "git_state", lambda folder=None: ("a" * 40, True))
    assert main(["track-record", "--corpus", "--split", "sealed"]) == 2
    assert capsys.readouterr().err.startswith("error: the sealed part runs only with the code frozen")
    monkeypatch.setattr(module, "git_state", lambda folder=None: (None, None))  # not a git checkout: no commit to name
    assert main(["track-record", "--corpus", "--split", "sealed"]) == 2


def test_corpus_flags_need_the_corpus(capsys):
    assert main(["track-record", "--quick"]) == 2
    assert capsys.readouterr().err.strip() == "error: --quick, --only, --split and --results go with --corpus"
    assert main(["track-record", "--split", "sealed", "--datasets", "no-such.csv"]) == 2  # it ran the files given
    assert capsys.readouterr().err.strip() == "error: --quick, --only, --split and --results go with --corpus"


def test_the_progress_line_of_an_inconclusive_dataset_says_it_is_not_judged():
    """The table said "no (inconclusive)" where the line printed as each dataset ended said "missed"."""
    from engine.evidence.track_record import progress_line

    unfair = DatasetRecord("iris", recommendation="ml", confidence=0.94, winner="unfair", margin=0.033, metric="accuracy",
                           splits=1, agreed=False, conclusive=False, seconds=3.0)
    assert progress_line(unfair, 1, 4).endswith("missed (inconclusive: not judged), 3 s")
    judged = DatasetRecord("wine", recommendation="ml", confidence=0.94, winner="ml", margin=0.05, metric="accuracy",
                           splits=3, agreed=True, conclusive=True, seconds=2.0)
    assert progress_line(judged, 2, 4).endswith("3 splits), agreed, 2 s")
