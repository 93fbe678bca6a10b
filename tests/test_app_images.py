"""The Explanations page on image data (AppTest): original / ML map / DL map rows for the same images."""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, chart_titles
from tests.test_images import image_zip


def test_the_explanations_page_shows_pixel_maps_for_image_data() -> None:
    from engine import compare, load_dataset_bytes
    from views.state import Run

    raw = image_zip(classes=("<img src=x>", "dark"), per_class=40)
    live = compare(load_dataset_bytes("imgs.zip", raw), max_seconds=3, shap_rows=8)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["run"] = Run(result=live, options={}, seconds=1.0)
    at.run()
    at.switch_page("app_pages/explanations.py").run()
    assert not at.exception and not at.error
    titles = chart_titles(at)
    assert any(t.startswith("Where each model looks") for t in titles)
    assert any(t.startswith("Mean |SHAP| per pixel") for t in titles)
    assert "Where each model looks, pixel by pixel" in [h.value for h in at.subheader]
    # pixels are not columns worth a bar each: no importance bars, beeswarms or waterfalls over pixel147
    assert not any("global importance" in t or "beeswarm" in t or "this row's explanation" in t for t in titles)
    assert [h.value for h in at.subheader][0] == "Where each model looks, pixel by pixel"  # the page leads with them
    figure = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                  if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("Where each model looks"))
    heatmaps = [t for t in figure["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 3 * 6  # original, ML map, DL map for each of the 6 images shown
    maps = [t for t in heatmaps if "zmid" in t]
    for ml_map, dl_map in zip(maps[::2], maps[1::2]):  # one shared, symmetric scale per row
        assert ml_map["zmin"] == dl_map["zmin"] == -ml_map["zmax"] and ml_map["zmax"] == dl_map["zmax"]
        z = ml_map["z"]  # plotly sends numpy arrays as typed arrays with their shape
        assert (z["shape"].replace(" ", "") == "8,8") if isinstance(z, dict) else np.asarray(z).shape == (8, 8)
    subtitles = [a["text"] for a in figure["layout"]["annotations"]]
    assert any("actual &lt;img src=x&gt;" in t for t in subtitles)  # a class name is text, not markup
    assert not any("<img" in t for t in subtitles)
    # The report draws the same section from the registry: the first images' rows and the mean maps, escaped.
    from plotly.offline import get_plotlyjs

    from engine.run.record import RunRecord
    from engine.share.report import report_html

    report = report_html(RunRecord.from_json(live.to_json())).replace(get_plotlyjs(), "")
    assert "<h3>Where each model looks, pixel by pixel</h3>" in report
    assert "Where each model looks: SHAP per pixel" in report and "Mean |SHAP| per pixel" in report
    assert "No per-column charts: the columns are pixels" in report
    assert "actual &lt;img src=x&gt;" in report  # a class name, in the figure and the caption, as text
    assert "<img" not in report
