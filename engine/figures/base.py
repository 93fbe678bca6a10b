"""What every figure shares: the families' colours and names, escaped text, the base layout, number ticks.

User strings (column names, class labels, values) are HTML-escaped before they
reach a figure: Plotly renders a subset of HTML in titles, tick labels and hover
text, and a column named ``<b>x</b>`` must show as typed, not in bold. Every
figure module (here and in the kinds) starts from :func:`base_figure`.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go

from engine.common.wording import SIDES, format_number


FAMILY_COLOURS = {"ml": "#2b6cb0", "dl": "#dd6b20", "neutral": "#a0aec0"}
FAMILY_NAMES = {side: words.short for side, words in SIDES.items()}
#: Colours for classes and categories: none is a model family's blue or orange, so a class never reads as a model.
CLASS_COLOURS = ["#38a169", "#805ad5", "#d53f8c", "#319795", "#d69e2e", "#718096", "#9c4221", "#2c7a7b"]
FAMILY_DASHES = {"ml": "solid", "dl": "dash"}
LOW_HIGH_COLOURS = [[0.0, "#3182ce"], [0.5, "#cbd5e0"], [1.0, "#e53e3e"]]  # feature value low -> high
METRIC_NAMES = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "log_loss": "Log loss",
    "r2": "R²",
    "mae": "MAE",
    "rmse": "RMSE",
}
LAYOUT: dict[str, Any] = dict(template="plotly_white", margin=dict(l=10, r=10, t=50, b=10), font=dict(size=13))


# --- text helpers ------------------------------------------------------------------


def safe_text(value: object, limit: int | None = 60) -> str:
    """``value`` as text Plotly shows literally: HTML-escaped, optionally shortened."""
    return html.escape(shorten(value, limit), quote=False)  # plotly.js decodes &amp; &lt; &gt; but shows &quot; literally


def shorten(value: object, limit: int | None) -> str:
    """``value`` as text, cut to ``limit`` characters with an ellipsis (not escaped: see :func:`safe_text`)."""
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def criterion_title(name: str) -> str:
    """``data_volume`` -> ``Data volume``."""
    return name.replace("_", " ").capitalize()


def metric_title(name: str) -> str:
    """``balanced_accuracy`` -> ``Balanced accuracy`` (the metrics' screen names)."""
    return METRIC_NAMES.get(name, name.replace("_", " "))


def diagonal(low: float, high: float, name: str) -> go.Scatter:
    """The dashed y = x reference line (chance, perfect prediction, equal importance)."""
    return go.Scatter(
        x=[low, high], y=[low, high], mode="lines", line=dict(dash="dash", color="#a0aec0"), name=name, hoverinfo="skip"
    )


def base_figure(title: str, height: int, **layout: Any) -> go.Figure:
    """An empty figure with the shared look (title, height, layout): every figure here and in the kinds starts from it."""
    figure = go.Figure()
    figure.update_layout(title=dict(text=title, x=0.0, xanchor="left"), height=height, **(LAYOUT | layout))
    return figure


def number_ticks(low: float, high: float, wanted: int = 6) -> dict[str, Any]:
    """Tick values and texts written as every other number on the screens ('1.78 M', '12,000'), or nothing.

    Plotly writes large ticks its own way ("2M", "1.5e+6"); beside labels in
    "1.78 M" that reads as two formats. Small numbers keep Plotly's ticks.
    """
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low or max(abs(low), abs(high)) < 10_000:
        return {}
    raw = (high - low) / wanted
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    values = np.arange(np.ceil(low / step) * step, high + step / 2, step)
    values = values[(values >= low) & (values <= high)]
    largest = float(np.abs(values).max()) if len(values) else 0.0
    scale, suffix = next(((sc, su) for sc, su in LARGE_UNITS if largest >= sc * 0.9995), (0.0, ""))
    if scale:  # one unit on one axis: "0.5 M" beside "1 M", never "500,000"
        texts = ["0" if v == 0 else f"{trim_zeros(f'{v / scale:.2f}')} {suffix}" for v in values]
    else:
        texts = [format_number(v, 3) for v in values]
    return {"tickvals": values.tolist(), "ticktext": texts}


LARGE_UNITS = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"))


def trim_zeros(text: str) -> str:
    """'2.00 M' -> '2 M', '1.50 M' -> '1.5 M': round ticks need no padding zeros."""
    number, _, suffix = text.partition(" ")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number} {suffix}".strip()
