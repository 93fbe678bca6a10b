"""The image section of the Explanations page: original / ML map / DL map per image, and the mean maps."""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.kinds.images import charts as image_charts
from engine.share.consent import ROWS_NOT_KEPT, rows_kept
from engine.explain.explanation import ModelExplanation
from engine.kinds.images.pixels import pixel_layout
from views import state

#: Images shown at once (the maps are computed for every explained image).
SHOWN_IMAGES = 6


def draw(result: Any, ml: ModelExplanation, dl: ModelExplanation, output: int) -> None:
    """Both models' pixel maps on the same explained images; nothing when the rows are not a pixel layout."""
    rows = result.explained_rows
    layout = pixel_layout(rows.columns)
    if layout is None or ml.pixels is None or dl.pixels is None:
        return
    st.subheader("Where each model looks, pixel by pixel")
    st.caption(
        f"{layout.describe()}. Classic ML: {ml.explainer} explainer; deep learning: {dl.explainer} explainer"
        + (" (each model's own exact explainer)" if result.explainer_mode == "fast"
           else " (one SHAP definition for both: Partition explainer, masked pixels take the background's mean)")
        + ". Each row shares one colour scale between the two maps."
    )
    if not rows_kept(result):
        st.plotly_chart(image_charts.mean_maps(ml, dl, output), key="pixel_means")
        st.info(ROWS_NOT_KEPT, icon=":material/visibility_off:")
        return
    positions = result.split.explained_positions
    actual = result.split.y_test[positions]
    ml_pred, dl_pred = result.ml.predictions[positions], result.dl.predictions[positions]
    classes = list(result.classes or [])
    choice = "the selected output"
    if len(classes) > 2:
        choice = st.radio(
            "Map of", ["each image's actual class", "the selected output"], horizontal=True, key="pixel_map_of",
        )
    count = len(rows)
    start = st.number_input(
        f"First image (of {count:,})", min_value=1, max_value=max(count, 1), value=1, step=SHOWN_IMAGES,
        key="pixel_first",
    ) - 1
    picks = list(range(int(start), min(int(start) + SHOWN_IMAGES, count)))
    outputs = [
        classes.index(str(actual[i])) if choice == "each image's actual class" and str(actual[i]) in classes else output
        for i in picks
    ]
    titles = [
        f"actual {actual[i]} · ML {ml_pred[i]} · DL {dl_pred[i]}" for i in picks
    ]
    images = layout.images(rows)
    st.plotly_chart(image_charts.pixel_map_rows(images, ml, dl, picks, outputs, titles), key="pixel_rows")
    st.plotly_chart(image_charts.mean_maps(ml, dl, output), key="pixel_means")
    shown = ", ".join(state.esc(t) for t in titles[:1])
    st.caption(f"Images shown: {len(picks):,} of {count:,} explained (first: {shown}).")
