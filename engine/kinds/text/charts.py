"""Views of token SHAP: each model's most influential words, and one document highlighted word by word.

Pure functions (no Streamlit), like :mod:`engine.figures`. Every token and
separator is HTML-escaped before it is placed in markup: a document can hold
``<script>`` and must show as text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from engine.figures.base import FAMILY_NAMES, base_figure, safe_text
from engine.explain.explanation import ModelExplanation, TokenAttribution
from engine.kinds.text.tokens import segments, truncate

__all__ = ["token_bars", "prediction_direction", "highlighted_document", "attribution_for", "TOWARD", "AWAY"]

TOWARD = (229, 62, 62)  # red: pushes toward the predicted class (or up, for regression)
AWAY = (49, 130, 206)  # blue: pushes away from it


def attribution_for(explanation: ModelExplanation, column: str) -> TokenAttribution | None:
    """The token values of ``column`` in ``explanation`` (None if it has none)."""
    return next((t for t in explanation.tokens if t.column == column), None)


def token_bars(explanation: ModelExplanation, family: str, column: str, output: int = 0, top: int = 15) -> go.Figure:
    """The ``top`` tokens of ``column`` by mean |SHAP| for one output; colour: the sign of their mean SHAP."""
    attribution = attribution_for(explanation, column)
    label = explanation.output_names[output] if output < len(explanation.output_names) else f"output {output}"
    ranked = attribution.summary(explanation.output_names, top=top).get(label, []) if attribution else []
    figure = base_figure(
        f"{FAMILY_NAMES[family]}: most influential words in {safe_text(column, 40)} (mean |SHAP|)",
        90 + 24 * max(len(ranked), 3),
    )
    figure.add_trace(go.Bar(
        x=[t["mean_abs_shap"] for t in ranked],
        y=[safe_text(t["token"], 30) for t in ranked],
        orientation="h",
        marker_color=[_rgb(TOWARD if t["mean_shap"] >= 0 else AWAY) for t in ranked],
        customdata=[[t["mean_shap"], t["count"]] for t in ranked],
        hovertemplate="%{y}: mean |SHAP| %{x:.4g}, mean SHAP %{customdata[0]:+.4g} over %{customdata[1]} uses<extra></extra>",
        name=FAMILY_NAMES[family], showlegend=False,
    ))
    figure.update_xaxes(title=f"mean |SHAP value| ({safe_text(label, 50)})", rangemode="tozero")
    figure.update_yaxes(autorange="reversed", type="category")
    return figure


def prediction_direction(classes: Sequence[str] | None, predicted: Any) -> tuple[int, float]:
    """(output index, sign) so that sign × SHAP > 0 means "pushes toward this prediction".

    Regression: the one output, up is positive. Two classes: the log-odds of
    ``classes[1]``, flipped when the prediction is ``classes[0]``. Several: the
    predicted class's logit.
    """
    if classes is None:
        return 0, 1.0
    predicted = str(predicted)
    if len(classes) == 2:
        return 0, (1.0 if predicted == str(classes[1]) else -1.0)
    return (list(map(str, classes)).index(predicted) if predicted in map(str, classes) else 0), 1.0


def highlighted_document(text: Any, tokens: Sequence[str], values: np.ndarray, sign: float = 1.0) -> str:
    """HTML of ``text`` with each token's background by its SHAP value (red toward, blue away); escaped throughout.

    ``values`` are one output's values per token, in the order
    :func:`engine.kinds.text.tokens.segments` splits the (truncated) document.
    """
    pieces = segments(truncate(text))
    values = np.asarray(values, dtype=float).reshape(-1) * sign
    if len(pieces) != len(values):  # the text is not the explained one: show the tokens, space-separated
        pieces = [(str(token), " ") for token in tokens]
    scale = float(np.max(np.abs(values), initial=0.0)) or 1.0
    parts = []
    for (word, separator), value in zip(pieces, values):
        if word:
            alpha = min(abs(value) / scale, 1.0) * 0.85
            colour = TOWARD if value >= 0 else AWAY
            parts.append(
                f'<span title="SHAP {value:+.4f}" style="background-color: rgba({colour[0]}, {colour[1]}, {colour[2]}, '
                f'{alpha:.3f}); border-radius: 3px; padding: 0 1px;">{html.escape(word)}</span>'
            )
        parts.append(html.escape(separator))
    return (
        '<div style="line-height: 1.9; font-size: 1rem; white-space: pre-wrap; overflow-wrap: anywhere;">'
        + "".join(parts) + "</div>"
    )


def _rgb(colour: tuple[int, int, int]) -> str:
    return f"rgb({colour[0]}, {colour[1]}, {colour[2]})"
