"""Figures of the data's profile: the column table and the class balance."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from engine.profile.profile import DatasetProfile
from engine.figures.base import FAMILY_COLOURS, safe_text, base_figure


# --- profile -----------------------------------------------------------------------


def profile_table(profile: DatasetProfile) -> pd.DataFrame:
    """One row per column: kind, missing share, distinct values and how the models use it."""
    features = set(profile.feature_columns)
    rows = []
    for column in profile.columns:
        if column.name == profile.target:
            role = "target"
        elif column.name in features:
            role = "feature"
        else:
            role = f"ignored ({column.kind.value})"
        rows.append(
            {
                "column": column.name,
                "kind": column.kind.value,
                "role": role,
                "missing %": round(100 * column.missing_share, 1),
                "distinct values": column.unique_values,
            }
        )
    return pd.DataFrame(rows)


def class_balance(profile: DatasetProfile) -> go.Figure:
    """Share of each class of the target (classification), largest first."""
    balance = profile.class_balance
    labels = [safe_text(k) for k in balance]
    figure = base_figure(f"Class balance of {safe_text(profile.target)}", 80 + 32 * max(len(balance), 2))
    figure.add_trace(
        go.Bar(
            x=[100 * v for v in balance.values()],
            y=labels,
            orientation="h",
            marker_color=FAMILY_COLOURS["neutral"],
            text=[f"{100 * v:.1f}%" for v in balance.values()],
            textposition="auto",
            hovertemplate="%{y}: %{x:.1f}% of rows<extra></extra>",
        )
    )
    figure.update_xaxes(title="% of rows", rangemode="tozero")
    figure.update_yaxes(autorange="reversed", type="category")
    return figure
