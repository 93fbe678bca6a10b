"""Text views of the explanations page: each model's most influential words, and one document highlighted twice.

Drawn whenever the explanations carry token values (any data kind with text
columns). The highlighting is HTML built by :func:`engine.kinds.text.charts.highlighted_document`,
which escapes every token; ``st.html`` shows it (sanitised again by the
front end), and ``unsafe_allow_html`` is never used.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.common import wording
from engine.share.consent import ROWS_NOT_KEPT, rows_kept
from engine.kinds.text.charts import attribution_for, highlighted_document, prediction_direction, token_bars
from views import state


def draw(result: Any, output: int) -> None:
    """Words per model for ``output``, then a picked document highlighted for both models."""
    ml, dl = result.explanations["ml"], result.explanations["dl"]
    columns = [t.column for t in (ml.tokens or dl.tokens)]
    st.subheader("Which words matter")
    column = columns[0]
    if len(columns) > 1:
        column = st.selectbox("Text column", columns, key="text_column")
    st.caption(
        "Token-level SHAP, one definition for both models (Shapley values of the same regex tokens, a hidden word removed from the text): "
        "each word's mean |SHAP| over the explained documents; red bars push toward the output named on the axis "
        "on average, blue bars away from it."
    )
    left, right = st.columns(2, gap="large")
    for container, family, explanation in ((left, "ml", ml), (right, "dl", dl)):
        with container:
            st.plotly_chart(token_bars(explanation, family, column, output), key=f"token_bars_{family}")

    st.subheader("One document, both models")
    if not rows_kept(result):
        st.info(ROWS_NOT_KEPT, icon=":material/visibility_off:")
        return
    rows = result.explained_rows
    documents = [str(text) for text in rows[column].fillna("")]

    def describe(i: int) -> str:
        text = " ".join(documents[i].split())
        return f"row {rows.index[i]}: {text[:80]}{'…' if len(text) > 80 else ''}"

    i = st.selectbox("Document", range(len(rows)), format_func=describe, key="text_document")
    positions = result.split.explained_positions
    st.caption("Each word is coloured by its SHAP value for that model's own prediction: red pushes toward it, "
               "blue away from it; stronger colour, larger value. Hover a word for its value.")
    left, right = st.columns(2, gap="large")
    for container, family, explanation, predictions in ((left, "ml", ml, result.ml.predictions),
                                                         (right, "dl", dl, result.dl.predictions)):
        attribution = attribution_for(explanation, column)
        with container:
            predicted = predictions[positions[i]]
            shown = wording.format_number(predicted) if isinstance(predicted, float) else str(predicted)
            st.markdown(f"**{wording.side_name(family)}** predicts {state.esc(shown)}")
            if attribution is None:
                st.caption("No token values for this column.")
                continue
            direction, sign = prediction_direction(result.classes, predicted)
            values = attribution.values[i][:, direction] if attribution.values[i].ndim == 2 else attribution.values[i]
            st.html(highlighted_document(documents[i], attribution.tokens[i], values, sign))
