"""The image kind's section of the Explanations page and the report: original / ML map / DL map per image, and the mean maps.

Registered by :mod:`engine.kinds.images` (imported when a page or the report asks: it needs Plotly).
Described with :mod:`engine.common.sections` (no Streamlit): the page draws it
with widgets (which class to map, which images), the report statically (the
first images). Class names reach the figures escaped
(:mod:`engine.kinds.images.charts`) and the captions as plain text.
"""

from __future__ import annotations

from typing import Any

from engine.common.sections import Block, Caption, Chart, Choice, Note, Section
from engine.kinds.images import charts as image_charts
from engine.kinds.images.pixels import pixel_layout
from engine.share.consent import ROWS_NOT_KEPT, rows_kept

__all__ = ["explanation_sections", "TITLE", "SHOWN_IMAGES"]

TITLE = "Where each model looks, pixel by pixel"
#: Images shown at once (the maps are computed for every explained image).
SHOWN_IMAGES = 6
_ACTUAL_CLASS = "each image's actual class"
_SELECTED_OUTPUT = "the selected output"


def explanation_sections(result: Any, output: int) -> list[Section]:
    """Both models' pixel maps on the same explained images; none when the rows are not a pixel layout."""
    ml, dl = result.explanations["ml"], result.explanations["dl"]
    rows = result.explained_rows
    layout = pixel_layout(rows.columns)
    if layout is None or ml.pixels is None or dl.pixels is None:
        return []
    caption = Caption(
        f"{layout.describe()}. Classic ML: {ml.explainer} explainer; deep learning: {dl.explainer} explainer"
        + (" (each model's own exact explainer)" if result.explainer_mode == "fast"
           else " (one SHAP definition for both: Partition explainer, masked pixels take the background's mean)")
        + ". Each row shares one colour scale between the two maps."
    )
    means = Chart(image_charts.mean_maps(ml, dl, output), key="pixel_means")
    if not rows_kept(result):
        return [Section(TITLE, (caption, means, Note(ROWS_NOT_KEPT)))]
    classes = list(result.classes or [])
    map_of = (_ACTUAL_CLASS, _SELECTED_OUTPUT) if len(classes) > 2 else (_SELECTED_OUTPUT,)
    pick_map = Choice(
        "Map of", map_of, lambda i: [_pick_images(result, map_of[i] == _ACTUAL_CLASS, output, means)],
        key="pixel_map_of", style="radio",
    )
    return [Section(TITLE, (caption, pick_map))]


def _pick_images(result: Any, by_actual_class: bool, output: int, means: Chart) -> Choice:
    count = len(result.explained_rows)
    return Choice(
        f"First image (of {count:,})", tuple(str(i + 1) for i in range(count)),
        lambda start: _image_rows(result, start, by_actual_class, output, means),
        key="pixel_first", style="number", step=SHOWN_IMAGES,
    )


def _image_rows(result: Any, start: int, by_actual_class: bool, output: int, means: Chart) -> list[Block]:
    """Images ``start`` … ``start + SHOWN_IMAGES - 1``: the image and both maps, each of its class or of ``output``."""
    ml, dl = result.explanations["ml"], result.explanations["dl"]
    rows = result.explained_rows
    positions = result.split.explained_positions
    actual = result.split.y_test[positions]
    ml_pred, dl_pred = result.ml.predictions[positions], result.dl.predictions[positions]
    classes = [str(c) for c in result.classes or []]
    count = len(rows)
    picks = list(range(start, min(start + SHOWN_IMAGES, count)))
    outputs = [classes.index(str(actual[i])) if by_actual_class and str(actual[i]) in classes else output for i in picks]
    titles = [f"actual {actual[i]} · ML {ml_pred[i]} · DL {dl_pred[i]}" for i in picks]
    images = pixel_layout(rows.columns).images(rows)
    return [
        Chart(image_charts.pixel_map_rows(images, ml, dl, picks, outputs, titles), key="pixel_rows"),
        means,
        Caption(f"Images shown: {len(picks):,} of {count:,} explained (first: {titles[0] if titles else 'none'})."),
    ]
