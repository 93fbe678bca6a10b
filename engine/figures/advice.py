"""Figures of the advice: the criteria scorecard (a figure and its table)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from engine.figures.base import FAMILY_COLOURS, FAMILY_NAMES, safe_text, criterion_title, base_figure

if TYPE_CHECKING:
    from engine.advice.recommend import Criterion, Recommendation


# --- recommendation ------------------------------------------------------------------


def scorecard(recommendation: Recommendation) -> go.Figure:
    """Each criterion's signed contribution (score × weight): left favours ML, right DL; reason on hover."""
    criteria: list[Criterion] = list(recommendation.criteria)
    names = [criterion_title(c.name) for c in criteria]
    contributions = [c.contribution for c in criteria]
    colours = [FAMILY_COLOURS[c.favours] for c in criteria]
    hover = [
        f"<b>{criterion_title(c.name)}</b>: {safe_text(c.value, None)}<br>"
        f"favours {FAMILY_NAMES[c.favours]} · score {c.score:+.2f} × weight {c.weight:g} = {c.contribution:+.2f}<br>"
        f"{_wrap(safe_text(c.reason, None))}"
        for c in criteria
    ]
    figure = base_figure("Criterion scorecard: contribution to the vote", 60 + 48 * len(criteria) + 60)
    figure.add_trace(
        go.Bar(
            x=contributions,
            y=names,
            orientation="h",
            marker_color=colours,
            text=[f"{v:+.2f}" for v in contributions],
            textposition="outside",
            cliponaxis=False,
            hovertext=hover,
            hoverinfo="text",
            name="contribution",
        )
    )
    reach = max(max((abs(v) for v in contributions), default=1.0), 1.0) * 1.25
    figure.update_xaxes(
        range=[-reach, reach],
        zeroline=True,
        zerolinewidth=2,
        zerolinecolor="#4a5568",
        title="← favours classic ML        contribution (score × weight)        favours deep learning →",
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(showlegend=False)
    return figure


def scorecard_table(recommendation: Recommendation) -> pd.DataFrame:
    """One row per criterion: value, side, score, weight, contribution and reason."""
    return pd.DataFrame(
        [
            {
                "criterion": criterion_title(c.name),
                "value": c.value,
                "favours": FAMILY_NAMES[c.favours],
                "score": round(c.score, 2),
                "weight": c.weight,
                "contribution": round(c.contribution, 2),
                "reason": c.reason,
            }
            for c in recommendation.criteria
        ]
    )


def _wrap(text: str, width: int = 70) -> str:
    """``text`` in lines of at most ``width`` characters (longer words kept whole), joined by ``<br>``."""
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))
