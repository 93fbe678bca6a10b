"""The Track record page: drawn from a results file (never retrains), with the session's own comparison joining it."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from engine.pipeline import compare
from engine.track_record import DatasetRecord, TrackRecord, write_results
from views.state import RUN, Run
from tests.conftest import ROOT, make_signal_table

APP = ROOT / "dashboard.py"
PAGE = "pages/track_record.py"
RESULTS_KEY = "track_record_results_path"


def _results(tmp_path):
    record = TrackRecord([
        DatasetRecord("tiny_tabular", rows=300, task="binary", kind="tabular", recommendation="ml", confidence=0.8, winner="ml",
                      metric="accuracy", margin=0.04, agreed=True, conclusive=True, splits=10, target_guessed=True),
        DatasetRecord("big_smooth", rows=200_000, task="regression", kind="tabular", recommendation="ml", confidence=0.66,
                      winner="dl", metric="r2", margin=-0.05, agreed=False, conclusive=True, splits=1,
                      misled_by="data_structure", misled_by_contribution=-3.0, target_guessed=False),
        DatasetRecord("pixels", declared_kind="images", pending="waits for the images data kind on main", target_guessed=True),
    ])
    return write_results(record.to_dict(), tmp_path / "results.json")[0]


def _open(results) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[RESULTS_KEY] = str(results)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def session_run() -> Run:
    return Run(result=compare(make_signal_table(rows=120, seed=2), "target", max_seconds=8, shap_rows=5), options={}, seconds=1.0)


def test_page_draws_the_results_file_and_the_sessions_comparison(tmp_path, session_run):
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[RESULTS_KEY] = str(_results(tmp_path))
    at.session_state[RUN] = session_run
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}  # the corpus's rates: the session's run does not change them
    assert shown["Advice held (ties agree)"] == "50%" and shown["Advice held (decisive only)"] == "50%"
    assert shown["Always classic ML (ties agree)"] == "50%" and shown["Target guessed right"] == "67%"
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles == ["Hit rate against naive advisors (95% Wilson interval)", "Advice against outcome per dataset",
                      "The corpus by size and kind"]
    table = at.dataframe[0].value
    assert list(table["dataset"])[:3] == ["tiny_tabular", "big_smooth", "pixels"]
    assert table.loc[2, "status"] == "waits for the images data kind on main" and table.loc[1, "misled by"] == "data_structure"
    assert len(table) == 4 and table.loc[3, "status"] == "this session"
    assert table.loc[3, "winner"] == session_run.result.verdict.winner
    assert any("your own comparison of this session is added" in c.value for c in at.caption)


def test_a_missing_results_file_is_one_error_line(tmp_path):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[RESULTS_KEY] = str(tmp_path / "none.json")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert len(at.error) == 1 and "run `python -m engine track-record --corpus`" in at.error[0].value.replace("\\", "")
