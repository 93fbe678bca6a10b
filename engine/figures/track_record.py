"""Figures of the track record: hit rates against naive advisors, advice against outcome, the corpus map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from engine.figures.base import FAMILY_COLOURS, safe_text, base_figure


# --- track record ----------------------------------------------------------------------

_WINNER_COLOURS = {"ml": FAMILY_COLOURS["ml"], "dl": FAMILY_COLOURS["dl"], "tie": FAMILY_COLOURS["neutral"]}
_WINNER_NAMES = {"ml": "classic ML won", "dl": "deep learning won", "tie": "a tie"}


def track_record_hit_rates(summary: dict[str, Any]) -> go.Figure:
    """The advisor's hit rate next to the naive advisors', with 95% Wilson intervals (ties agree / decisive only)."""
    names = {"advisor": "The advisor", "always_ml": "Always classic ML", "always_dl": "Always deep learning",
             "always_train_both": "Always train both"}
    rates = {"advisor": summary["advisor"]} | summary["naive"]
    figure = base_figure("Hit rate against naive advisors (95% Wilson interval)", 340,
                     yaxis=dict(title="share of datasets", range=[0, 1.05], tickformat=".0%"), barmode="group")
    for key, label, colour in (("ties_agree", "ties count as agreement", "#2b6cb0"), ("decisive_only", "decisive datasets only", "#dd6b20")):
        values = [rates[name][key] for name in names]
        figure.add_bar(
            x=list(names.values()), y=[v["rate"] if v["rate"] is not None else 0 for v in values], name=label,
            marker_color=colour,
            error_y=dict(type="data", symmetric=False,
                         array=[(v["interval"][1] - v["rate"]) if v["interval"] else 0 for v in values],
                         arrayminus=[(v["rate"] - v["interval"][0]) if v["interval"] else 0 for v in values]),
            text=[f"{v['hits']}/{v['n']}" for v in values], textposition="inside",
            hovertemplate="%{x}: %{y:.0%} (%{text})<extra>" + label + "</extra>",
        )
    return figure


def _margin_points(row: dict[str, Any]) -> float:
    return float(row["margin"]) * (1.0 if row.get("metric") == "r2" else 100.0)


def track_record_outcomes(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Advice against outcome per dataset: ML − DL margin (points, or R² ×100), coloured by the winner, ✕ where the advice missed."""
    shown = [r for r in rows if r.get("winner")]
    shown = sorted(shown, key=_margin_points)
    figure = base_figure("Advice against outcome per dataset", max(320, 22 * len(shown) + 120),
                     xaxis=dict(title="ML − DL (points of the verdict metric; R² × 100)", zeroline=True),
                     yaxis=dict(automargin=True))
    for winner, colour in _WINNER_COLOURS.items():
        group = [r for r in shown if r["winner"] == winner]
        if not group:
            continue
        figure.add_scatter(
            x=[_margin_points(r) for r in group], y=[safe_text(r["dataset"], 40) for r in group], mode="markers",
            name=_WINNER_NAMES[winner],
            marker=dict(color=colour, size=12, symbol=["circle" if r["agreed"] else "x" for r in group],
                        line=dict(width=1, color="#1a202c")),
            text=[safe_text(f"advice {r['recommendation']} ({100 * r['confidence']:.0f}%), "
                            f"{'agreed' if r['agreed'] else 'missed'}", 80) for r in group],
            hovertemplate="%{y}: %{x:+.1f}<br>%{text}<extra></extra>",
        )
    return figure


def track_record_map(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Each dataset placed by rows (log scale) and data kind, coloured by the measured winner, ✕ where the advice missed."""
    shown = [r for r in rows if r.get("winner") and r.get("rows")]
    figure = base_figure("The corpus by size and kind", 320, xaxis=dict(title="rows", type="log"),
                     yaxis=dict(title="data kind", type="category"))
    for winner, colour in _WINNER_COLOURS.items():
        group = [r for r in shown if r["winner"] == winner]
        if not group:
            continue
        figure.add_scatter(
            x=[r["rows"] for r in group], y=[r.get("kind") or "tabular" for r in group], mode="markers",
            name=_WINNER_NAMES[winner],
            marker=dict(color=colour, size=13, symbol=["circle" if r["agreed"] else "x" for r in group],
                        line=dict(width=1, color="#1a202c")),
            text=[safe_text(r["dataset"], 40) for r in group],
            hovertemplate="%{text}: %{x:,} rows<extra></extra>",
        )
    return figure
