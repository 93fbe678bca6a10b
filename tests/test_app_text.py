"""The explanations page on text data (AppTest): word bars for both models, one document highlighted twice, escaped."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from engine import compare
from views.state import Run
from tests.test_text import planted_reviews

APP = Path(__file__).parents[1] / "dashboard.py"
HOSTILE = "superb <img src=x onerror=alert(1)> film <script>alert(2)</script> scene"


def test_text_explanations_show_word_bars_and_a_hostile_document_as_text() -> None:
    frame = planted_reviews(rows=120)
    frame.loc[frame.index[:20], "review"] = [f"{HOSTILE} {i}" for i in range(20)]  # hostile, and explained
    result = compare(frame, "label", shap_rows=30, max_seconds=60)
    assert any("<img" in text for text in result.explained_rows["review"])
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["run"] = Run(result=result, options={}, seconds=1.0)
    at.run()
    at.switch_page("app_pages/explanations.py").run()
    assert not at.exception and not at.error
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: most influential words in review (mean |SHAP|)" in titles
    # one text column: the models' agreement is over words, and the page says so, not "per column"
    assert any(title.startswith("Importance per word") for title in titles)
    # one text column: no one-bar column charts; the page leads with the words
    assert not any("global importance" in t or "beeswarm" in t or "this row's explanation" in t for t in titles)
    assert [h.value for h in at.subheader][0] == "Which words matter"
    assert any("Each point is one word" in c.value for c in at.caption)
    hostile_row = next(i for i, text in enumerate(result.explained_rows["review"]) if "<img" in text)
    at.selectbox(key="text_document").set_value(hostile_row).run()
    assert not at.exception
    documents = [element.proto.body for element in at.get("html")]
    assert len(documents) == 2  # one per model
    for body in documents:
        assert "<img" not in body and "<script" not in body
        assert "&lt;" in body and ">onerror</span>" in body and ">superb</span>" in body
    # The report draws the same section from the registry: the words per model, and the first document highlighted.
    report = _report_of(result)
    assert "<h3>Which words matter</h3>" in report and "<h3>One document, both models</h3>" in report
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: most influential words in review (mean |SHAP|)" in report
        assert f"<b>{family}</b> predicts" in report
    assert report.count('<span title="SHAP') >= 2 and "Document: row " in report
    assert "<img" not in report and "<script>alert" not in report


def _report_of(result) -> str:
    """The HTML report of ``result`` read back as a saved run, without Plotly's bundle."""
    from plotly.offline import get_plotlyjs

    from engine.run.record import RunRecord
    from engine.share.report import report_html

    return report_html(RunRecord.from_json(result.to_json())).replace(get_plotlyjs(), "")
