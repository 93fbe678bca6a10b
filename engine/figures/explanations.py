"""Figures and sentences of the SHAP explanations: importance bars, beeswarms, the agreement scatter,
waterfalls of one row, and the agreement of the two rankings in words."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from engine.io.dates import days_since_epoch, parse_dates
from engine.common.wording import count, format_number, format_signed
from engine.figures.base import (
    FAMILY_COLOURS, FAMILY_NAMES, CLASS_COLOURS, LOW_HIGH_COLOURS, safe_text, shorten, diagonal, base_figure,
    number_ticks,
)

if TYPE_CHECKING:
    from engine.explain.explanation import Agreement, ModelExplanation


# --- explanations ----------------------------------------------------------------------


def column_views_informative(ml: ModelExplanation, dl: ModelExplanation, column_charts: bool = True) -> bool:
    """Whether per-column charts (importance bars, beeswarms, waterfalls) carry information for this run.

    Not where the run's kind says its columns are not read one by one
    (``column_charts``, from the registry: pixels, whose maps say where a model
    looks) nor for a single column (one bar for ``tweet``: the token views say
    which words matter).
    """
    return column_charts and min(len(ml.columns), len(dl.columns)) >= 2


def importance_bars(explanation: ModelExplanation, family: str, top: int = 15) -> go.Figure:
    """Mean |SHAP| per original column (averaged over outputs), the ``top`` largest."""
    importance = list(explanation.global_importance.items())[:top]
    figure = base_figure(f"{FAMILY_NAMES[family]}: global importance (mean |SHAP|)", 80 + 26 * max(len(importance), 3))
    figure.add_trace(
        go.Bar(
            x=[v for _, v in importance],
            y=[safe_text(n, 40) for n, _ in importance],
            orientation="h",
            marker_color=FAMILY_COLOURS[family],
            hovertemplate="%{y}: mean |SHAP| %{x:.4g}<extra></extra>",
        )
    )
    largest = max((v for _, v in importance), default=0.0)
    figure.update_xaxes(title="mean |SHAP value|", rangemode="tozero", **number_ticks(0.0, largest))
    figure.update_yaxes(autorange="reversed", type="category")
    return figure


def beeswarm(explanation: ModelExplanation, rows: pd.DataFrame, output: int, family: str, top: int = 12) -> go.Figure:
    """SHAP value of every explained row for the ``top`` columns of one output, coloured by feature value."""
    values = explanation.values[:, :, output]
    order = np.argsort(-np.abs(values).mean(axis=0), kind="stable")[:top]
    rng = np.random.default_rng(0)
    xs: list[float] = []
    ys: list[float] = []
    colours: list[float] = []
    hover: list[str] = []
    grey_x: list[float] = []
    grey_y: list[float] = []
    grey_hover: list[str] = []
    cat_x: list[float] = []
    cat_y: list[float] = []
    cat_colours: list[str] = []
    cat_hover: list[str] = []
    for level, j in enumerate(order):
        column = explanation.columns[j]
        shap_values = values[:, j]
        raw = rows[column] if column in rows.columns else pd.Series([np.nan] * len(values))
        numeric = _as_number(raw)
        scaled = numeric.rank(pct=True).to_numpy(dtype=float)
        jitter = _swarm_offsets(shap_values, rng)
        name = safe_text(column, 40)
        # categories: one colour per value (the most frequent ones), never a model's colour
        frequent = [str(v) for v in raw.dropna().astype(str).value_counts().index[: len(CLASS_COLOURS) - 1]]
        category_colour = {v: CLASS_COLOURS[i] for i, v in enumerate(frequent)}
        for k in range(len(shap_values)):
            text = f"{name} = {safe_text(raw.iloc[k], 40)}<br>SHAP {shap_values[k]:+.4g}"
            missing = pd.isna(raw.iloc[k])
            if np.isnan(scaled[k]) and not missing:
                cat_x.append(float(shap_values[k]))
                cat_y.append(level + jitter[k])
                cat_colours.append(category_colour.get(str(raw.iloc[k]), CLASS_COLOURS[-1]))
                cat_hover.append(text)
            elif np.isnan(scaled[k]):
                grey_x.append(float(shap_values[k]))
                grey_y.append(level + jitter[k])
                grey_hover.append(text)
            else:
                xs.append(float(shap_values[k]))
                ys.append(level + jitter[k])
                colours.append(float(scaled[k]))
                hover.append(text)
    figure = base_figure(
        f"{FAMILY_NAMES[family]}: SHAP beeswarm<br><sup>{safe_text(_output_name(explanation, output), 60)}</sup>",
        130 + 38 * max(len(order), 3),
        margin=dict(l=10, r=10, t=70, b=10),
    )
    figure.add_trace(
        go.Scattergl(
            x=xs,
            y=ys,
            mode="markers",
            name="numeric value",
            hovertext=hover,
            hoverinfo="text",
            marker=dict(
                size=6,
                color=colours,
                colorscale=LOW_HIGH_COLOURS,
                cmin=0,
                cmax=1,
                opacity=0.8,
                colorbar=dict(
                    title=dict(text="feature value", side="right"),
                    tickvals=[0, 1],
                    ticktext=["low", "high"],
                    len=0.6,
                    thickness=10,
                ),
            ),
        )
    )
    if cat_x:
        figure.add_trace(
            go.Scattergl(
                x=cat_x,
                y=cat_y,
                mode="markers",
                name="category: a colour per value (hover for it)",
                hovertext=cat_hover,
                hoverinfo="text",
                marker=dict(size=6, color=cat_colours, opacity=0.8, symbol="diamond"),
            )
        )
    if grey_x:
        figure.add_trace(
            go.Scattergl(
                x=grey_x,
                y=grey_y,
                mode="markers",
                name="missing value",
                hovertext=grey_hover,
                hoverinfo="text",
                marker=dict(size=6, color="#718096", opacity=0.6),
            )
        )
    figure.add_vline(x=0, line_color="#4a5568", line_width=1)
    figure.update_yaxes(
        tickvals=list(range(len(order))),
        ticktext=[safe_text(explanation.columns[j], 40) for j in order],
        autorange="reversed",
        zeroline=False,
        showgrid=False,
    )
    spread = values[:, order] if values.size else np.zeros(1)
    figure.update_xaxes(title="SHAP value (effect on the model output)",
                        **number_ticks(float(np.min(spread, initial=0.0)), float(np.max(spread, initial=0.0))))
    figure.update_layout(
        showlegend=bool(grey_x or cat_x),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, font=dict(size=11)),
    )
    return figure


def _as_number(series: pd.Series) -> pd.Series:
    """Numbers as they are, dates as timestamps, anything else NaN (a category, or missing)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.astype(float).reset_index(drop=True)
    dates = parse_dates(series)
    if len(series) and dates.notna().mean() >= 0.9:
        return days_since_epoch(dates).reset_index(drop=True)
    return pd.Series(np.nan, index=range(len(series)), dtype=float)


def _swarm_offsets(values: np.ndarray, rng: np.random.Generator, width: float = 0.35) -> np.ndarray:
    """Vertical offsets that spread points in dense regions (a cheap beeswarm)."""
    if len(values) == 0:
        return np.zeros(0)
    span = float(np.ptp(values)) or 1.0
    bins = np.floor((values - values.min()) / span * 40).astype(int)
    counts = np.bincount(bins)
    density = counts[bins] / counts.max()
    return (rng.random(len(values)) - 0.5) * 2 * width * density


#: Most columns the agreement scatter draws (those with the largest combined share of importance).
AGREEMENT_SCATTER_MAX_POINTS = 300


def agreement_scatter(ml: ModelExplanation, dl: ModelExplanation, agreement: Agreement) -> go.Figure:
    """Each column's (or, where the agreement ranks words, each word's) share of total importance under ML (x) and DL (y)."""
    from engine.explain.explanation import compared_importance, features_that_matter

    a, b, compared_on = compared_importance(ml, dl)
    compared = set(features_that_matter(a, b)) if agreement.total_features else set(a) & set(b)
    noun = "word" if compared_on == "tokens" else "column"
    columns = [c for c in a if c in b]
    total_a = sum(a[c] for c in columns) or 1.0
    total_b = sum(b[c] for c in columns) or 1.0
    rank_a = {c: i + 1 for i, c in enumerate(sorted(columns, key=lambda c: -a[c]))}
    rank_b = {c: i + 1 for i, c in enumerate(sorted(columns, key=lambda c: -b[c]))}
    every = len(columns)
    if every > AGREEMENT_SCATTER_MAX_POINTS:  # a wide table: its top columns, not 10,000 dots in a heap at zero
        columns = sorted(columns, key=lambda c: -(a[c] / total_a + b[c] / total_b))[:AGREEMENT_SCATTER_MAX_POINTS]
    x = [100 * a[c] / total_a for c in columns]
    y = [100 * b[c] / total_b for c in columns]
    labelled = {c for c in columns if rank_a[c] <= 3 or rank_b[c] <= 3}
    reach = max([*x, *y, 1.0]) * 1.1
    positions, shown = _label_positions(x, y, [shorten(c, 24) if c in labelled else "" for c in columns], reach)
    figure = base_figure(
        f"Importance per {noun}<br><sup>Spearman "
        f"{f'n/a (too few shared {noun}s)' if agreement.spearman is None else f'{agreement.spearman:.2f}'}"
        f" · top-5 overlap {agreement.top5_overlap} of 5"
        + (" · grey: near zero for both, not compared" if len(compared) < every else "")
        + (f"<br>the {len(columns):,} of {every:,} {noun}s with the largest combined share" if len(columns) < every else "")
        + "</sup>",
        480,
        margin=dict(l=10, r=30, t=70, b=10),
    )
    figure.add_trace(diagonal(0.0, reach, "equal importance"))
    figure.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers+text",
            name=f"{noun}s",
            text=[safe_text(label, None) for label in shown],
            textposition=positions,
            hovertext=[
                f"{safe_text(c, None)}<br>classic ML: rank {rank_a[c]}, {xi:.1f}% of importance"
                f"<br>deep learning: rank {rank_b[c]}, {yi:.1f}% of importance"
                + ("" if c in compared else "<br>(near zero for both: left out of the rank correlation)")
                for c, xi, yi in zip(columns, x, y)
            ],
            hoverinfo="text",
            marker=dict(size=10, color=["#553c9a" if c in compared else "#cbd5e0" for c in columns], opacity=0.75),
            cliponaxis=False,
        )
    )
    figure.update_xaxes(title="classic ML: % of total importance", range=[0, reach], constrain="domain")
    figure.update_yaxes(title="deep learning: % of total importance", range=[0, reach], scaleanchor="x", scaleratio=1)
    figure.update_layout(showlegend=False)
    return figure


#: Where a point's label may go, tried in this order; (dx, dy) of the label's centre in label heights/widths.
_LABEL_SLOTS = {
    "top center": (0.0, 0.9), "bottom center": (0.0, -0.9), "middle right": (0.6, 0.0), "middle left": (-0.6, 0.0),
    "top right": (0.6, 0.9), "top left": (-0.6, 0.9), "bottom right": (0.6, -0.9), "bottom left": (-0.6, -0.9),
}


#: A label's estimated width per character, its height and a marker's size, as shares of the axis (see _label_positions).
_LABEL_CHAR_WIDTH, _LABEL_HEIGHT, _LABEL_POINT_SIZE = 0.02, 0.05, 0.03


def _label_positions(
    x: Sequence[float], y: Sequence[float], labels: Sequence[str], reach: float
) -> tuple[list[str], list[str]]:
    """A text position per point such that no two labels' boxes overlap (greedy, in the plot's data units).

    A label is estimated as 2% of the axis per character wide and 5% high (13-pixel
    type on the square plot, about 350 pixels a side in the page's column: at
    1.2% two labels were seen to overprint in a browser); each takes the first
    slot whose box meets no box placed before it nor any point, largest points
    first. A label with no free slot is left off (its point still names itself
    on hover). Returns the positions and the labels as drawn.
    """
    char_w, height = _LABEL_CHAR_WIDTH * reach, _LABEL_HEIGHT * reach
    dot = _LABEL_POINT_SIZE * reach / 2
    boxes: list[tuple[float, float, float, float]] = [(xi - dot, xi + dot, yi - dot, yi + dot) for xi, yi in zip(x, y)]
    positions = ["top center"] * len(labels)
    shown = ["" for _ in labels]
    for i in sorted(range(len(labels)), key=lambda i: -(x[i] + y[i])):
        if not labels[i]:
            continue
        width = char_w * len(labels[i])
        for slot, (dx, dy) in _LABEL_SLOTS.items():
            cx, cy = x[i] + dx * width, y[i] + dy * height
            box = (cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2)
            if not any(b[0] < box[1] and box[0] < b[1] and b[2] < box[3] and box[2] < b[3] for b in boxes):
                positions[i], shown[i] = slot, labels[i]
                boxes.append(box)
                break
    return positions, shown


def _label_boxes(figure: go.Figure, reach: float) -> list[tuple[float, float, float, float]]:
    """The estimated boxes of a scatter's labels (as :func:`_label_positions` places them), for checks."""
    trace = figure.data[-1]
    char_w, height = _LABEL_CHAR_WIDTH * reach, _LABEL_HEIGHT * reach
    boxes = []
    for xi, yi, text, slot in zip(trace.x, trace.y, trace.text, trace.textposition):
        if text:
            width = char_w * len(html.unescape(text))
            dx, dy = _LABEL_SLOTS[slot]
            cx, cy = xi + dx * width, yi + dy * height
            boxes.append((cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2))
    return boxes


def waterfall(
    explanation: ModelExplanation,
    row: int,
    output: int,
    row_values: pd.Series,
    family: str,
    top: int = 10,
    order: Sequence[str] | None = None,
    x_range: tuple[float, float] | None = None,
) -> go.Figure:
    """One row's explanation: from the base value, each column's push, to the model output (SHAP's waterfall).

    ``order`` (column names, largest first) and ``x_range`` let two models'
    waterfalls show the same columns in the same rows on the same axis
    (:func:`waterfall_pair`). Value labels sit outside their bars and are never
    clipped: the range leaves room for them.
    """
    contributions = _contributions(explanation, row, output)
    base = float(explanation.base_values[output])
    final = float(explanation.outputs[row, output])
    names = list(order) if order is not None else sorted(contributions, key=lambda c: -abs(contributions[c]))[:top]
    rest = [c for c in contributions if c not in names]
    labels: list[str] = []
    amounts: list[float] = []
    if rest:
        labels.append(f"{len(rest)} other columns")
        amounts.append(float(sum(contributions[c] for c in rest)))
    for column in names[::-1]:  # bottom to top: the largest push sits next to the output
        value = row_values[column] if column in row_values.index else ""
        labels.append(f"{safe_text(column, 28)} = {safe_text(_short(value), 16)}")
        amounts.append(float(contributions.get(column, 0.0)))
    labels.append("<b>model output</b>")
    measures = ["relative"] * (len(labels) - 1) + ["total"]
    texts = [format_signed(v) for v in amounts] + [format_number(final, 3)]
    amounts.append(0.0)  # a total's own amount is ignored: it is drawn from the base to the running sum
    figure = base_figure(
        f"{FAMILY_NAMES[family]}: this row's explanation<br><sup>{safe_text(_output_name(explanation, output), 60)}"
        f" from base {format_number(base, 3)} to {format_number(final, 3)}</sup>",
        130 + 28 * len(labels),
        margin=dict(l=10, r=30, t=70, b=10),
    )
    figure.add_trace(
        go.Waterfall(
            orientation="h",
            measure=measures,
            y=labels,
            x=amounts,
            base=base,
            text=texts,
            textposition="outside",
            cliponaxis=False,
            increasing=dict(marker=dict(color="#e53e3e")),
            decreasing=dict(marker=dict(color="#3182ce")),
            totals=dict(marker=dict(color=FAMILY_COLOURS[family])),
            connector=dict(line=dict(color="#a0aec0", width=1)),
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    figure.add_vline(x=base, line_dash="dot", line_color="#4a5568", layer="below")  # under the labels it crosses
    figure.update_yaxes(type="category", automargin=True)
    shown_range = list(x_range or _waterfall_range([_waterfall_path(base, amounts[:-1], final)]))
    figure.update_xaxes(
        title=f"model output (dotted line: base value {format_number(base, 3)})",
        range=shown_range,
        **number_ticks(*shown_range),
    )
    figure.update_layout(showlegend=False)
    return figure


def waterfall_pair(
    ml: ModelExplanation, dl: ModelExplanation, row: int, output: int, row_values: pd.Series, top: int = 10
) -> tuple[go.Figure, go.Figure]:
    """Both models' waterfalls of one row with the same columns in the same order and one x range, to compare."""
    ml_push, dl_push = _contributions(ml, row, output), _contributions(dl, row, output)
    columns = list(dict.fromkeys([*ml_push, *dl_push]))
    combined = {c: abs(ml_push.get(c, 0.0)) + abs(dl_push.get(c, 0.0)) for c in columns}
    order = sorted(columns, key=lambda c: -combined[c])[:top]
    paths = []
    for explanation, push in ((ml, ml_push), (dl, dl_push)):
        base, final = float(explanation.base_values[output]), float(explanation.outputs[row, output])
        rest = sum(v for c, v in push.items() if c not in order)
        paths.append(_waterfall_path(base, [rest, *(push.get(c, 0.0) for c in order[::-1])], final))
    shared = _waterfall_range(paths)
    return (
        waterfall(ml, row, output, row_values, "ml", order=order, x_range=shared),
        waterfall(dl, row, output, row_values, "dl", order=order, x_range=shared),
    )


def _contributions(explanation: ModelExplanation, row: int, output: int) -> dict[str, float]:
    return {str(c): float(v) for c, v in zip(explanation.columns, explanation.values[row, :, output])}


def _waterfall_path(base: float, amounts: Sequence[float], final: float) -> np.ndarray:
    """Every x a waterfall's bars start or end at (base, running sums, output)."""
    return np.asarray([base, *(base + np.cumsum(amounts)), final], dtype=float)


def _waterfall_range(paths: Sequence[np.ndarray]) -> tuple[float, float]:
    """One x range around every path, padded by 30% each side so labels outside the end bars stay inside."""
    low = float(min(p.min() for p in paths))
    high = float(max(p.max() for p in paths))
    pad = 0.3 * ((high - low) or max(abs(high), 1.0))
    return low - pad, high + pad


def _output_name(explanation: ModelExplanation, output: int) -> str:
    return explanation.output_names[output] if output < len(explanation.output_names) else f"output {output}"


def _short(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


# --- sentences -----------------------------------------------------------------------


def describe_agreement(agreement: Agreement, ml: ModelExplanation, dl: ModelExplanation) -> str:
    """The agreement of the two importance rankings in words that follow its value (plain text, user names unescaped).

    "Broadly agree" needs a high rank correlation (≥ 0.8) and, with more than
    five features, at least three of the top five shared; a middling one reads
    "partly agree", never "broadly".
    """
    from engine.explain.explanation import compared_importance

    a, b, compared_on = compared_importance(ml, dl)
    noun = "words" if compared_on == "tokens" else "columns"
    rho = agreement.spearman
    if rho is None:
        return (
            f"The two models share only {agreement.compared_features} comparable "
            f"{'feature' if agreement.compared_features == 1 else 'features'}: too few to compare their rankings."
        )
    few = len(a)
    overlap_low = few > TOP_K_SHOWN and agreement.top5_overlap <= 2
    if rho >= 0.9 and not overlap_low:
        strength = "strongly agree"
    elif rho >= 0.8 and not overlap_low:
        strength = "broadly agree"
    elif rho >= 0.5:
        strength = "only partly agree"
    elif rho >= 0.2:
        strength = "agree only weakly"
    elif rho > -0.2:
        strength = "barely agree at all"
    else:
        strength = "disagree (opposite orders)"
    top_ml, top_dl = list(a)[:TOP_K_SHOWN], list(b)[:TOP_K_SHOWN]
    shared = [c for c in top_ml if c in top_dl]
    shared_text = f" ({', '.join(shared)})" if shared else ""
    caveat = f" (there are only {few} {noun}, so the top 5 overlap by construction)" if few <= TOP_K_SHOWN else ""
    total = agreement.total_features
    if total and agreement.compared_features < total:
        rest = total - agreement.compared_features
        rest_words = f"the other {count(rest, noun[:-1])} {'is' if rest == 1 else 'are'}"
        over = (f" over the {count(agreement.compared_features, noun[:-1])} that carry "
                f"{agreement.importance_share:.0%} of either model's importance ({rest_words} near zero for both "
                "and left out)")
    else:
        over = f" over {count(agreement.compared_features, noun[:-1])}"
    return (
        f"The two models {strength} on which {noun} matter: Spearman rank correlation {rho:.2f}{over}. "
        f"{agreement.top5_overlap} of their top 5 {noun} are the same{shared_text}{caveat}."
    )


TOP_K_SHOWN = 5
