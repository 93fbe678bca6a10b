"""The Track record page: sealed figures first (from a results file, never retraining), in-sample figures apart and labelled."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from engine.run.pipeline import compare
from engine.evidence.track_record import DatasetRecord, append_result, git_state, log_variant
from views.state import RUN, Run
from tests.conftest import ROOT, make_signal_table
from tests.test_track_record import git_repository

APP = ROOT / "dashboard.py"
PAGE = "app_pages/track_record.py"
SEALED_KEY, DEVELOPMENT_KEY, IN_SAMPLE_KEY, JOURNAL_KEY, REPOSITORY_KEY = (
    "track_record_results_path", "track_record_development_path", "track_record_in_sample_path", "track_record_journal_path",
    "track_record_repository")


def _results(path, records, commit, dirty=False, planned=()):
    path.write_text(json.dumps({"type": "run", "split": path.stem, "commit": commit, "dirty": dirty,
                                "entries": [r.dataset for r in records] + list(planned)}) + "\n")
    for record in records:
        record.commit, record.dirty = commit, dirty
        append_result(path, record)
    return path


def _sealed_records():
    def row(name, rows, kind, advice, winner, margin, confidence):
        return DatasetRecord(name, rows=rows, kind=kind, task="binary", recommendation=advice, confidence=confidence,
                             winner=winner, metric="accuracy", margin=margin, agreed=advice == winner, conclusive=True,
                             origin="real", split="sealed", ml_seconds=1.0, dl_seconds=4.0, interval_low=margin - 0.01,
                             interval_high=margin + 0.01)

    return [
        row("loans", 150_000, "tabular", "dl", "ml", 0.02, 0.6),  # wrong: 2 points of regret
        row("survey", 800, "tabular", "ml", "ml", 0.05, 0.8),
        row("reviews", 19_000, "text", "ml", "tie", 0.001, 0.7),
        row("faces", 400, "images", "dl", "dl", -0.38, 0.9),
        DatasetRecord("flagged", rows=300, kind="tabular", recommendation="ml", winner="ml", agreed=True, conclusive=False,
                      origin="real"),
    ]


def _open(tmp_path, sealed=True, commit=None, run=None, not_yet_run=(), repository=None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    if repository is not None:
        at.session_state[REPOSITORY_KEY] = str(repository)
    if sealed:
        _results(tmp_path / "results-sealed.jsonl", _sealed_records(), commit or git_state()[0], planned=not_yet_run)
    at.session_state[SEALED_KEY] = str(tmp_path / "results-sealed.jsonl")
    development = [DatasetRecord("iris", rows=150, kind="tabular", recommendation="ml", winner="tie", margin=-0.01,
                                 confidence=0.8, agreed=True, conclusive=True, origin="real"),
                   DatasetRecord("synthetic_steps", rows=5000, kind="tabular", recommendation="ml", winner="ml", margin=0.2,
                                 confidence=0.8, agreed=True, conclusive=True, origin="generated")]
    at.session_state[DEVELOPMENT_KEY] = str(_results(tmp_path / "results-development.jsonl", development, "f" * 40))
    at.session_state[IN_SAMPLE_KEY] = str(tmp_path / "none.json")
    journal = tmp_path / "journal.jsonl"
    log_variant("smooth-volume", "volume as a logistic curve of log rows", {"exact": 0.6}, path=journal)
    with journal.open("a") as handle:  # a line as benchmarks/corpus/calibrate.py writes it
        handle.write(json.dumps({"variant": "prior", "params": {"close_call_band": 0.15}, "split": "development",
                                 "score": -0.4, "hits": 19, "n": 22, "date": "2026-12-02T11:17:51+00:00"}) + "\n")
        handle.write(json.dumps({"variant": "target-guess", "what": "the kept guess, measured once", "split": "sealed",
                                 "score": 0.57, "score_is": "target guess hit rate", "hits": 21, "n": 37}) + "\n")
    at.session_state[JOURNAL_KEY] = str(journal)
    if run is not None:
        at.session_state[RUN] = run
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def column_formats(table) -> dict[str, str]:
    """The number format each column of a drawn ``st.dataframe`` was given (its column_config), by column name."""
    return {name: config["type_config"]["format"] for name, config in json.loads(table.proto.columns).items()
            if "type_config" in config}


@pytest.fixture(scope="module")
def session_run() -> Run:
    return Run(result=compare(make_signal_table(rows=120, seed=2), "target", max_seconds=8, shap_rows=5), options={}, seconds=1.0)


def test_sealed_figures_come_first_with_the_constants_and_the_plain_verdict(tmp_path, session_run):
    at = _open(tmp_path, commit="0" * 40, run=session_run)
    headers = [h.value for h in at.header]
    assert headers == ["Sealed part: data never tuned on", "In-sample figures (development part): not a track record"]
    metrics = {m.label: m.value for m in at.metric[:4]}  # the sealed part's; the development part repeats the labels below
    # 4 judged (the flagged one is listed, not judged): loans missed, survey hit, reviews missed (ml vs a tie), faces hit
    assert metrics["Advice right (a tie is its own outcome)"] == "50%"
    assert metrics["Advice right on decisive datasets"] == "67%"
    assert metrics["Regret of the advice (points)"] == "2.0"  # loans; reviews tied with ML 0.1 ahead: none
    warnings = [w.value for w in at.warning]
    assert any("The sealed part has not been run for this code: these figures are of commit 0000000000" in w for w in warnings)
    assert any("no better than the constant rule “ML for tables, DL for text and images”" in w for w in warnings)
    advisors = at.dataframe[0].value
    assert list(advisors["advisor"]) == ["the advisor", "always classic ML", "always deep learning", "always train both",
                                         "ML for tables, DL for text and images"]
    assert list(advisors["right (tie = its own outcome)"]) == ["2/4 = 50% [15-85%]", "2/4 = 50% [15-85%]", "1/4 = 25% [5-70%]",
                                                             "1/4 = 25% [5-70%]", "3/4 = 75% [30-95%]"]
    reliability = at.dataframe[1].value
    # judged on the confidence's own event (won or tied): reviews (ML advised, a tie) lost nothing
    assert list(reliability["confidence"]) == ["60–70%", "70–80%", "80–90%", "90–100%"] and list(reliability["right"]) == [0, 1, 1, 1]
    # whole percentages, as the advice shows its confidence: held as points (70.0), printed "70%", never 0.7 or "70.00%"
    assert column_formats(at.dataframe[1]) == {"share right": "%.0f%%", "mean confidence": "%.0f%%"}
    assert list(reliability["mean confidence"]) == pytest.approx([60.0, 70.0, 80.0, 90.0])
    assert list(reliability["share right"]) == pytest.approx([0.0, 100.0, 100.0, 100.0])
    assert any(c.value.startswith("Against an exact hit instead") and "70–80%: 0 of 1" in c.value for c in at.caption)
    table = at.dataframe[2].value
    assert list(table["dataset"]) == ["loans", "survey", "reviews", "faces", "flagged"]
    assert table.loc[4, "status"].startswith("inconclusive") and table.loc[0, "regret (points)"] == pytest.approx(2.0)
    formats = column_formats(at.dataframe[2])
    assert formats["confidence"] == "%.0f%%" and formats["regret (points)"] == formats["ML − DL (points)"] == "%.1f"
    assert list(table["confidence"])[:4] == pytest.approx([60.0, 80.0, 70.0, 90.0])
    assert set(formats) <= set(table.columns)  # every formatted column is one the table has (a renamed one would not be)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["xaxis"]["type"] == "log"
    assert any("flagged" in c.value for c in at.caption)  # the inconclusive dataset is named
    assert any("It is not part of any figure above" in c.value for c in at.caption)
    assert any("not a track record" in h for h in headers) and any("Every decision" in i.value for i in at.info)
    journal = at.dataframe[-1].value
    assert list(journal["variant"]) == ["smooth-volume", "prior", "target-guess"] and list(journal["right"])[1] == 19
    assert list(journal["split"]) == ["development", "development", "sealed"]
    assert list(journal["what changed"]) == ["volume as a logistic curve of log rows", "close_call_band 0.15",
                                             "the kept guess, measured once"]
    assert any(c.value.endswith("3 variants tried, 2 of them scored on the development part, the only part tuned on; "
                                "measured once each, never tuned on: 1 on the sealed part.") for c in at.caption)


def test_filters_by_kind_and_size(tmp_path):
    at = _open(tmp_path)
    at.multiselect(key="sealed_kinds").set_value(["tabular"]).run()
    assert list(at.dataframe[2].value["dataset"]) == ["loans", "survey", "flagged"]
    at.multiselect(key="sealed_sizes").set_value(["100,000+ rows"]).run()
    assert list(at.dataframe[2].value["dataset"]) == ["loans"]


def test_without_a_sealed_run_the_page_says_so(tmp_path):
    at = _open(tmp_path, sealed=False)
    assert any(w.value.startswith("The sealed part has not been run for this code: there is no figure yet") for w in at.warning)
    assert "python -m engine track-record --corpus --split sealed" in " ".join(w.value for w in at.warning)
    assert any("Development part: 2 of 2 datasets run" in c.value for c in at.caption)
    assert any("the advice named the outcome on 1 of 1 judged" in c.value for c in at.caption)  # the generated family, apart


def test_an_unfinished_sealed_run_says_how_much_of_the_part_its_figures_cover(tmp_path):
    at = _open(tmp_path, not_yet_run=("big_table", "long_texts"))
    unfinished = [w.value for w in at.warning if w.value.startswith("The sealed run is not finished")]
    assert len(unfinished) == 1 and "5 of 7 sealed datasets have results" in unfinished[0]
    (tmp_path / "done").mkdir()
    finished = _open(tmp_path / "done")
    assert not [w.value for w in finished.warning if w.value.startswith("The sealed run is not finished")]


def test_the_sealed_figures_hold_for_later_commits_until_the_measured_code_changes(tmp_path):
    """Committing the results (or a page, or docs) makes a new commit; only a change the records depend on voids them."""
    repository = tmp_path / "repository"
    repository.mkdir()
    commit = git_repository(repository)
    measured = commit("engine/advice.py", "WEIGHT = 3\n")
    commit("README.md", "the sealed figures\n")
    (tmp_path / "docs").mkdir()
    at = _open(tmp_path / "docs", commit=measured, repository=repository)
    assert not [w.value for w in at.warning if "has not been run for this code" in w.value]
    assert any(c.value.startswith(f"Measured at commit {measured[:10]}; the code that advises and measures (engine, "
                                  "benchmarks/corpus/manifest.toml, requirements.txt) has not changed since") for c in at.caption)
    later = commit("engine/advice.py", "WEIGHT = 4\n")
    (tmp_path / "engine").mkdir()
    at = _open(tmp_path / "engine", commit=measured, repository=repository)
    assert [w.value for w in at.warning if "has not been run for this code" in w.value] == [
        f"The sealed part has not been run for this code: these figures are of commit {measured[:10]}, and this is "
        f"{later[:10]}, with 1 file changed in engine, benchmarks/corpus/manifest.toml, requirements.txt since."]
    assert not [c.value for c in at.caption if c.value.startswith("Measured at commit")]


def test_a_malformed_results_file_is_one_error_line(tmp_path):
    bad = tmp_path / "results-sealed.jsonl"
    bad.write_text('{"type": "run"}\nnot json\n{"type": "dataset", "dataset": "x"}\n')
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[SEALED_KEY] = str(bad)
    at.session_state[DEVELOPMENT_KEY] = str(tmp_path / "none.jsonl")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert len(at.error) == 1 and "line 2 of the track-record results" in at.error[0].value.replace("\\", "")
