"""Figures of the track record: the corpus map (each dataset by size and kind, coloured by the measured winner)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from engine.figures.base import FAMILY_COLOURS, safe_text, base_figure


_WINNER_COLOURS = {"ml": FAMILY_COLOURS["ml"], "dl": FAMILY_COLOURS["dl"], "tie": FAMILY_COLOURS["neutral"]}
_WINNER_NAMES = {"ml": "classic ML won", "dl": "deep learning won", "tie": "a tie"}
_OUTLINE = dict(width=1, color="#1a202c")
MISSED_NAME = "the advice did not name it (any colour)"


def track_record_map(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Each dataset placed by rows (log scale) and data kind, coloured by the measured winner, ✕ where the advice missed.

    The legend is drawn by its own marker-only entries: a trace's legend shows
    its first point's symbol, so a winner whose first dataset was a miss read
    as "✕ = deep learning won".
    """
    shown = [r for r in rows if r.get("winner") and r.get("rows")]
    figure = base_figure("The corpus by size and kind", 320, xaxis=dict(title="rows", type="log"),
                     yaxis=dict(title="data kind", type="category"))
    for winner, colour in _WINNER_COLOURS.items():
        group = [r for r in shown if r["winner"] == winner]
        if not group:
            continue
        figure.add_scatter(
            x=[r["rows"] for r in group], y=[r.get("kind") or "tabular" for r in group], mode="markers",
            name=_WINNER_NAMES[winner], legendgroup=winner, showlegend=False,
            marker=dict(color=colour, size=13, symbol=["circle" if r["agreed"] else "x" for r in group], line=_OUTLINE),
            text=[safe_text(r["dataset"], 40) for r in group],
            hovertemplate="%{text}: %{x:,} rows<extra></extra>",
        )
        figure.add_scatter(x=[None], y=[None], mode="markers", name=_WINNER_NAMES[winner], legendgroup=winner,
                           marker=dict(color=colour, size=13, symbol="circle", line=_OUTLINE), hoverinfo="skip")
    if any(not r["agreed"] for r in shown):
        figure.add_scatter(x=[None], y=[None], mode="markers", name=MISSED_NAME, hoverinfo="skip",
                           marker=dict(color="#ffffff", size=13, symbol="x", line=_OUTLINE))
    return figure
