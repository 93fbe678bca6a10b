"""engine.track_record: advice against measurement, per dataset, with the criterion that misled it."""

from __future__ import annotations

import json

import pytest

from engine.__main__ import main
from engine.recommend import Criterion
from engine.corpus import load_manifest, select_entries
from engine.track_record import (
    DatasetRecord, TrackRecord, format_table, misleading_criterion, sample_datasets, summarise, track_record, wilson_interval,
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
    assert good.recommendation in ("ml", "dl", "either") and good.winner in ("ml", "dl", "tie")
    assert good.margin == pytest.approx(good.ml_score - good.dl_score)
    assert good.agreed == ((good.winner in (good.recommendation, "tie")) if good.recommendation != "either" else good.winner == "tie")
    assert (good.misled_by is None) == good.agreed
    assert bad.error and bad.agreed is None
    payload = record.to_dict()
    judged = 1 if good.conclusive else 0  # a flagged model makes the verdict inconclusive: not judged
    assert payload["compared"] == judged and payload["agreement_rate"] == (float(good.agreed) if judged else None)
    table = format_table(payload)
    assert "wine.csv" in table and "empty.csv" in table and "agreement: " in table


def test_several_seeds_report_the_mean_margin_inside_the_mean_interval():
    (record,) = track_record([SAMPLE_DATA / "wine.csv"], shap_rows=5, max_seconds=5, seeds=2).records
    assert record.seeds == 2 and len(record.seed_winners) == len(record.seed_margins) == 2
    assert record.margin == pytest.approx(sum(record.seed_margins) / 2)
    assert record.interval_low <= record.margin <= record.interval_high
    assert record.winner == max(("tie", "ml", "dl"), key=record.seed_winners.count)


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
    from engine import corpus

    for entry in select_entries(load_manifest(), ["iris", "diabetes"]):
        build_entry(entry, tmp_path)
    monkeypatch.setattr(corpus, "CACHE_DIR", tmp_path)
    results = tmp_path / "out" / "results.json"
    code = main(["track-record", "--corpus", "--only", "iris", "diabetes", "--max-seconds", "5", "--shap-rows", "5",
                 "--results", str(results), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert [d["dataset"] for d in payload["datasets"]] == ["iris", "diabetes"]
    assert [d["target"] for d in payload["datasets"]] == ["species", "progression"]
    assert all(d["target_guessed"] for d in payload["datasets"])
    assert "[1/2] iris: advice" in captured.err and "[2/2] diabetes: advice" in captured.err
    assert json.loads(results.read_text())["summary"] == payload["summary"]
    csv_lines = results.with_suffix(".csv").read_text().splitlines()
    assert csv_lines[0].startswith("dataset,kind,declared_kind,rows") and len(csv_lines) == 3
    assert payload["run"]["entries"] == ["iris", "diabetes"] and payload["run"]["whole_corpus"] is False


def test_corpus_flags_need_the_corpus(capsys):
    assert main(["track-record", "--quick"]) == 2
    assert capsys.readouterr().err.strip() == "error: --quick, --only and --results go with --corpus"
