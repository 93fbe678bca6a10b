"""Screens that say exactly what happened, drawn from a saved run record (no training in these tests).

One short diabetes comparison is made per test module, written to JSON and
read back as History and share links read a saved run; each test changes
only what it is about (a verdict made inconclusive, predictions made
negative) on a copy of that record.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.run.record import RunRecord

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard.py"
TIMEOUT = 120


@pytest.fixture(scope="module")
def saved_regression() -> RunRecord:
    """A diabetes run as a saved record: JSON in, JSON out, no models."""
    from engine import compare, load_dataset_path

    live = compare(load_dataset_path(ROOT / "sample_data" / "diabetes.csv"), max_seconds=2, shap_rows=10)
    return RunRecord.from_json(live.to_json())


def opened(record: RunRecord, page: str = "app_pages/train.py") -> AppTest:
    """The app with ``record`` as the session's run (as History opens one), on ``page``."""
    from views.state import Run

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["run"] = Run(result=record, options={}, seconds=8.0)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception and not at.error, (at.exception, at.error)
    return at


def with_verdict(record: RunRecord, **changes: object) -> RunRecord:
    """``record`` with a fair verdict changed as given (a 2 s fixture run may itself be an unfair fight)."""
    fair = {"fair": True, "unfair_reason": ""}
    return dataclasses.replace(record, verdict=dataclasses.replace(record.verdict, **(fair | changes)))


def sidebar_captions(record: RunRecord) -> list[str]:
    from views.state import Run

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["run"] = Run(result=record, options={}, seconds=8.0)
    at.run()
    assert not at.exception, at.exception
    return [c.value for c in at.sidebar.caption]


def test_the_sidebar_and_the_verdict_read_an_inconclusive_verdict(saved_regression: RunRecord) -> None:
    record = with_verdict(saved_regression, winner="dl", difference=-0.1, interval=(-0.2, -0.05), conclusive=False)
    captions = sidebar_captions(record)
    assert any(c.startswith("done in 8.0 s:") and "inconclusive" in c for c in captions), captions
    assert not any("won" in c for c in captions)
    at = opened(record)
    verdicts = [w.value for w in at.warning if "Inconclusive" in w.value]
    assert verdicts and "agrees with" not in verdicts[0] and "won" not in verdicts[0]
    assert not [s.value for s in at.success if "won" in s.value]  # never in success colours
    decided = with_verdict(saved_regression, winner="dl", difference=-0.1, interval=(-0.2, -0.05), conclusive=True)
    assert any(c == "done in 8.0 s: deep learning won" for c in sidebar_captions(decided))


def test_an_unfair_fight_reads_not_a_fair_comparison_everywhere(saved_regression: RunRecord) -> None:
    record = with_verdict(saved_regression, winner="unfair", difference=0.04, interval=(0.01, 0.07), conclusive=False,
                          fair=False, unfair_reason="the clock cut deep learning short: retrain with a larger time budget")
    captions = sidebar_captions(record)
    assert any("not a fair comparison" in c for c in captions) and not any("won" in c for c in captions)
    at = opened(record)
    verdicts = [w.value.replace("\\", "") for w in at.warning if "Not a fair comparison" in w.value]
    assert verdicts and "won" not in verdicts[0] and "agrees" not in verdicts[0]
    at.switch_page("app_pages/explanations.py").run()
    assert any("not a fair fight" in w.value for w in at.warning)  # the explanations of starved models say so too


def test_the_log_toggle_is_on_only_when_the_charts_are_on_a_log_scale(saved_regression: RunRecord) -> None:
    def axis_types(at: AppTest) -> set[str]:
        specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        return {s["layout"]["xaxis"].get("type", "linear") for s in specs
                if "predicted vs actual" in s["layout"]["title"]["text"] or "Errors of both" in s["layout"]["title"]["text"]}

    positive = dataclasses.replace(saved_regression, ml=dataclasses.replace(
        saved_regression.ml, predictions=np.abs(saved_regression.ml.predictions) + 1),
        dl=dataclasses.replace(saved_regression.dl, predictions=np.abs(saved_regression.dl.predictions) + 1))
    at = opened(positive)
    toggle = at.toggle(key="regression_log")
    assert not toggle.disabled
    toggle.set_value(True).run()
    assert at.toggle(key="regression_log").value is True and axis_types(at) == {"log"}
    at.toggle(key="regression_log").set_value(False).run()
    assert axis_types(at) == {"linear"}

    negative = np.asarray(positive.dl.predictions, dtype=float).copy()
    negative[:3] = -5.0
    broken = dataclasses.replace(positive, dl=dataclasses.replace(positive.dl, predictions=negative))
    at = opened(broken)
    toggle = at.toggle(key="regression_log")
    assert toggle.value is False and toggle.disabled and axis_types(at) == {"linear"}
    notes = [c.value for c in at.caption if c.value.startswith("Log scale off")]
    assert notes and "Deep learning 3" in notes[0] and "≤ 0" in notes[0]


def test_the_report_says_what_the_app_says_about_the_budget(saved_regression: RunRecord) -> None:
    from engine.share.report import report_html
    from engine.common.wording import budget_sentence

    report = report_html(saved_regression)
    assert "per family" not in report and "for the whole run" in report
    at = opened(saved_regression)
    assert budget_sentence(saved_regression) in [c.value.replace("\\", "") for c in at.caption]


def test_every_sample_is_reachable_the_sample_pills_wrap() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("app_pages/recommend.py").run()
    pills = at.button_group(key="sample_pick").proto
    assert pills.wrap is True  # in a column, pills default to one scrolling row: 3 of 8 were cut off at 1400 px
    from engine.io import samples

    assert [o.content for o in pills.options] == [samples.sample_title(n) for n in samples.sample_names()]


def test_a_saved_run_without_its_data_judges_skewness_on_its_test_rows(saved_regression: RunRecord) -> None:
    """Opened without the data it was made on, the page has only the test rows, and says so."""
    skewed_rows = np.exp(np.asarray(saved_regression.split.y_test, dtype=float) / 50.0)  # a long right tail
    record = dataclasses.replace(saved_regression, split=dataclasses.replace(saved_regression.split, y_test=skewed_rows))
    captions = [c.value for c in opened(record).caption]
    target = saved_regression.target
    assert f"{target} is skewed: most test rows crowd at one end, so the log scale is on." in captions, captions
