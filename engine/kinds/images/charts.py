"""Plotly figures for image explanations: original / ML map / DL map, one row per image.

Pure functions of results (no Streamlit), like :mod:`engine.figures.charts`. Each
row's two SHAP maps share one symmetric colour scale (red raises the
output, blue lowers it), so their strengths compare within the row.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.figures.base import FAMILY_NAMES, safe_text
from engine.explain.explanation import ModelExplanation
from engine.kinds.images.pixels import PixelLayout

__all__ = ["pixel_map_rows", "mean_maps"]

_DIVERGING = "RdBu_r"


def pixel_map_rows(
    images: np.ndarray,
    ml: ModelExplanation,
    dl: ModelExplanation,
    picks: Sequence[int],
    outputs: Sequence[int],
    titles: Sequence[str],
) -> go.Figure:
    """One row per explained image ``picks[i]``: the image, the ML map and the DL map of ``outputs[i]``.

    ``images`` are the explained rows as (rows, side, side, channels) pixel
    values; ``titles`` (user text: class names) are escaped here.
    """
    if ml.pixels is None or dl.pixels is None:
        raise ValueError("both explanations need pixel maps")
    n = len(picks)
    figure = make_subplots(
        rows=max(n, 1), cols=3, horizontal_spacing=0.04, vertical_spacing=0.06 / max(n, 1) * 3,
        subplot_titles=[t for i in range(n) for t in (safe_text(titles[i], 50), FAMILY_NAMES["ml"], FAMILY_NAMES["dl"])],
    )
    for i, (row, output) in enumerate(zip(picks, outputs), start=1):
        image = images[row]
        if image.shape[2] == 3:
            top = 255.0 if image.max() > 1 else 1.0
            figure.add_trace(go.Image(z=np.clip(image / top * 255.0, 0, 255).astype(np.uint8), hoverinfo="skip"), row=i, col=1)
        else:
            figure.add_trace(
                go.Heatmap(z=image[:, :, 0], colorscale="gray_r", showscale=False, hoverinfo="skip"), row=i, col=1
            )
        maps = [ml.pixels.values[row, :, :, output], dl.pixels.values[row, :, :, output]]
        limit = float(max(np.abs(maps[0]).max(), np.abs(maps[1]).max())) or 1.0
        for col, values in ((2, maps[0]), (3, maps[1])):
            figure.add_trace(
                go.Heatmap(
                    z=values, colorscale=_DIVERGING, zmin=-limit, zmax=limit, zmid=0,
                    showscale=col == 3,
                    colorbar=dict(len=0.9 / max(n, 1), y=1 - (i - 0.5) / max(n, 1), thickness=10),
                    hovertemplate="row %{y}, column %{x}: SHAP %{z:.3g}<extra></extra>",
                ),
                row=i, col=col,
            )
    figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    for i in range(1, n + 1):
        for col in (1, 2, 3):
            figure.update_yaxes(scaleanchor=f"x{'' if (i - 1) * 3 + col == 1 else (i - 1) * 3 + col}", row=i, col=col)
    figure.update_layout(
        template="plotly_white", height=60 + 190 * max(n, 1), margin=dict(l=10, r=10, t=40, b=10),
        title=dict(text="Where each model looks: SHAP per pixel (red raises the output, blue lowers it)", x=0.0),
    )
    return figure


def mean_maps(ml: ModelExplanation, dl: ModelExplanation, output: int, layout: PixelLayout | None = None) -> go.Figure:
    """Mean |SHAP| per pixel over all explained images, for both models side by side (one scale each)."""
    if ml.pixels is None or dl.pixels is None:
        raise ValueError("both explanations need pixel maps")
    figure = make_subplots(rows=1, cols=2, subplot_titles=[FAMILY_NAMES["ml"], FAMILY_NAMES["dl"]], horizontal_spacing=0.12)
    for col, explanation in ((1, ml), (2, dl)):
        values = explanation.pixels.mean_abs_map()[:, :, output]
        figure.add_trace(
            go.Heatmap(z=values, colorscale="Viridis", showscale=True,
                       colorbar=dict(x=0.44 if col == 1 else 1.0, thickness=10),
                       hovertemplate="row %{y}, column %{x}: mean |SHAP| %{z:.3g}<extra></extra>"),
            row=1, col=col,
        )
    figure.update_xaxes(showticklabels=False, showgrid=False)
    figure.update_yaxes(showticklabels=False, showgrid=False, autorange="reversed")
    figure.update_yaxes(scaleanchor="x", row=1, col=1)
    figure.update_yaxes(scaleanchor="x2", row=1, col=2)
    name = safe_text(ml.output_names[output], 60) if output < len(ml.output_names) else ""
    figure.update_layout(template="plotly_white", height=360, margin=dict(l=10, r=10, t=60, b=10),
                         title=dict(text=f"Mean |SHAP| per pixel over the explained images — {name}", x=0.0))
    return figure
