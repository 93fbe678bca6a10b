"""The track record's corpus: a valid manifest, and entries that build with their target (a tiny subset)."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.corpus import build_entry
from benchmarks.corpus.synthetic import FAMILIES, generate
from engine.corpus import KINDS, CorpusEntry, entry_path, load_manifest, select_entries
from engine.data import DataError
from engine.dataset import load_dataset_path


def test_manifest_is_valid_and_spans_the_decision_space():
    entries = load_manifest()
    assert len(entries) >= 20
    for entry in entries:
        assert entry.source.strip() and entry.licence.strip() and entry.target.strip(), entry.name
        spec = entry.build
        if spec["from"] == "wheel":
            assert spec["package"] and spec["version"] and spec["member"].endswith((".csv", ".csv.gz", ".csv.bz2")), entry.name
        if spec["from"] == "synthetic":
            assert spec["family"] in FAMILIES and entry.expected in ("ml", "dl"), entry.name
    assert {e.task for e in entries} == {"binary", "multiclass", "regression"}
    assert {e.kind for e in entries} == set(KINDS)
    assert any(e.build["from"] == "synthetic" and e.build["rows"] >= 100_000 for e in entries)
    assert {e.expected for e in entries} >= {"ml", "dl"}
    assert 2 <= len(select_entries(entries, quick=True)) < len(entries) / 3


def test_tiny_subset_builds_with_its_target(tmp_path):
    entries = select_entries(load_manifest(), ["iris", "diabetes"])
    for entry in entries:
        with pytest.raises(DataError, match=f"{entry.name} is not built: run `python -m benchmarks.corpus --only {entry.name}`"):
            entry_path(entry, tmp_path)
        path = build_entry(entry, tmp_path)
        frame = load_dataset_path(entry_path(entry, tmp_path)).frame
        assert path.name == f"{entry.name}.csv" and entry.target in frame.columns
    iris = load_dataset_path(tmp_path / "iris.csv").frame
    assert set(iris["species"]) == {"setosa", "versicolor", "virginica"}  # class names, not codes


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_synthetic_families_are_seeded(family):
    first, again, other = generate(family, 60, 0), generate(family, 60, 0), generate(family, 60, 1)
    assert first.equals(again) and not first.equals(other)
    assert len(first) == 60 and first.notna().all().all()


def test_bad_manifests_are_one_line(tmp_path):
    bad = tmp_path / "manifest.toml"
    bad.write_text('[[dataset]]\nname = "x"\nsource = "s"\nlicence = "l"\ntarget = "y"\ntask = "ranking"\nkind = "tabular"\n'
                   'build = { from = "sklearn", loader = "load_iris" }\n')
    with pytest.raises(DataError, match="task 'ranking' is not one of binary, multiclass, regression"):
        load_manifest(bad)
    bad.write_text('[[dataset]]\nname = "x"\nsource = ""\n')
    with pytest.raises(DataError, match=r"corpus entry 1 \(x\) lacks source, licence, target, task, kind, build"):
        load_manifest(bad)
    with pytest.raises(DataError, match="not in the corpus: nope"):
        select_entries(load_manifest(), ["nope"])
    assert isinstance(load_manifest()[0], CorpusEntry)


def test_calibration_vote_reproduces_the_advice_with_the_engines_numbers():
    """benchmarks.corpus.calibrate re-votes from a results row; with the engine's numbers it must say what the advisor says."""
    from benchmarks.corpus.calibrate import answers_of, prior
    from engine.recommend import VoteParams, advise, recommend
    from tests.conftest import make_signal_table

    for rows in (300, 5_000, 150_000):
        advice = advise(make_signal_table(rows=rows), "target")
        row = {"kind": "tabular", "rows": rows}
        assert recommend(answers_of(row), VoteParams()).choice == advice.recommendation.choice
        assert recommend(answers_of(row), prior()).choice == advice.recommendation.choice  # the prior stands
    assert advice.recommendation.choice == "ml"  # 150,000 table rows: trees, as the published benchmarks say
    text_advice = advise(pd.DataFrame({"review": [f"word{i} film plot {i % 7} scene" for i in range(2_000)],
                                       "label": ["a", "b"] * 1_000}), "label")
    assert text_advice.answers.data_kind.value == "text"
    assert recommend(answers_of({"kind": "text", "rows": 2_000})).choice == text_advice.recommendation.choice


def test_committed_results_hold_every_entry():
    from engine.corpus import CORPUS_DIR
    from engine.track_record import load_results

    results = load_results(CORPUS_DIR / "results.json")
    assert [d["dataset"] for d in results["datasets"]] == [e.name for e in load_manifest()]
    assert results["run"]["whole_corpus"] is True
    assert set(results["summary"]["naive"]) == {"always_ml", "always_dl", "always_train_both"}
