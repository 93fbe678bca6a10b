"""Plotly figures (and the few sentences that go with them) from engine results.

Pure functions: each takes engine objects and returns a ``plotly.graph_objects.Figure``
(or a DataFrame / a sentence), so the dashboard pages, later HTML reports and the
tests all draw the same charts. Nothing here imports Streamlit, torch or shap.

User strings (column names, class labels, values) are HTML-escaped before they
reach a figure: Plotly renders a subset of HTML in titles, tick labels and hover
text, and a column named ``<b>x</b>`` must show as typed, not in bold.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn import metrics as skmetrics

from engine.dates import days_since_epoch, parse_dates
from engine.profile import DatasetProfile
from engine.thresholds import PRACTICAL_TIE_MARGIN
from engine.wording import SIDES, TIE_MARGIN_WORDS, count, format_difference, format_number, format_signed, outcome_key

if TYPE_CHECKING:
    from engine.evaluate import ModelResult, Verdict
    from engine.explanation import Agreement, ModelExplanation
    from engine.recommend import Criterion, Recommendation

__all__ = [
    "FAMILY_COLOURS",
    "FAMILY_NAMES",
    "CLASS_COLOURS",
    "safe_text",
    "criterion_title",
    "scorecard",
    "scorecard_table",
    "class_balance",
    "profile_table",
    "metrics_table",
    "costs_table",
    "confusion_matrix",
    "roc_comparison",
    "predicted_vs_actual",
    "residuals",
    "log_scale_problem",
    "target_histogram",
    "importance_bars",
    "column_views_informative",
    "beeswarm",
    "agreement_scatter",
    "waterfall",
    "waterfall_pair",
    "describe_agreement",
    "describe_verdict",
    "verdict_sentence",
    "verdict_is_good",
    "track_record_hit_rates",
    "track_record_outcomes",
    "track_record_map",
]

FAMILY_COLOURS = {"ml": "#2b6cb0", "dl": "#dd6b20", "neutral": "#a0aec0"}
FAMILY_NAMES = {side: words.short for side, words in SIDES.items()}
#: Colours for classes and categories: none is a model family's blue or orange, so a class never reads as a model.
CLASS_COLOURS = ["#38a169", "#805ad5", "#d53f8c", "#319795", "#d69e2e", "#718096", "#9c4221", "#2c7a7b"]
_DASHES = {"ml": "solid", "dl": "dash"}
_LOW_HIGH = [[0.0, "#3182ce"], [0.5, "#cbd5e0"], [1.0, "#e53e3e"]]  # feature value low -> high
_METRIC_NAMES = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "log_loss": "Log loss",
    "r2": "R²",
    "mae": "MAE",
    "rmse": "RMSE",
}
_LAYOUT: dict[str, Any] = dict(template="plotly_white", margin=dict(l=10, r=10, t=50, b=10), font=dict(size=13))


# --- text helpers ------------------------------------------------------------------


def safe_text(value: object, limit: int | None = 60) -> str:
    """``value`` as text Plotly shows literally: HTML-escaped, optionally shortened."""
    return html.escape(_shorten(value, limit), quote=False)  # plotly.js decodes &amp; &lt; &gt; but shows &quot; literally


def _shorten(value: object, limit: int | None) -> str:
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def criterion_title(name: str) -> str:
    """``data_volume`` -> ``Data volume``."""
    return name.replace("_", " ").capitalize()


def _metric_title(name: str) -> str:
    return _METRIC_NAMES.get(name, name.replace("_", " "))


def _diagonal(low: float, high: float, name: str) -> go.Scatter:
    """The dashed y = x reference line (chance, perfect prediction, equal importance)."""
    return go.Scatter(
        x=[low, high], y=[low, high], mode="lines", line=dict(dash="dash", color="#a0aec0"), name=name, hoverinfo="skip"
    )


def _figure(title: str, height: int, **layout: Any) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(title=dict(text=title, x=0.0, xanchor="left"), height=height, **(_LAYOUT | layout))
    return figure


#: The shared look (title, height, layout) for the figure modules of each kind.
base_figure = _figure


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
    figure = _figure("Criterion scorecard: contribution to the vote", 60 + 48 * len(criteria) + 60)
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
    figure = _figure(f"Class balance of {safe_text(profile.target)}", 80 + 32 * max(len(balance), 2))
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


# --- measurement ---------------------------------------------------------------------


def metrics_table(ml: ModelResult, dl: ModelResult) -> pd.DataFrame:
    """Both models' metrics side by side (rows: metrics; columns: the two families)."""
    names = list(dict.fromkeys([*ml.metrics, *dl.metrics]))
    frame = pd.DataFrame(
        {FAMILY_NAMES[r.family]: [r.metrics.get(n, np.nan) for n in names] for r in (ml, dl)},
        index=[_metric_title(n) for n in names],
    )
    frame.index.name = "metric"
    return frame


def costs_table(ml: ModelResult, dl: ModelResult) -> pd.DataFrame:
    """Train time, predict time per 1,000 rows and model size of both families (rows: costs)."""
    frame = pd.DataFrame(
        {
            FAMILY_NAMES[r.family]: [r.train_seconds, 1000.0 * r.predict_seconds_per_1k, r.size_bytes / 1024.0]
            for r in (ml, dl)
        },
        index=["train time (s)", "predict time per 1,000 rows (ms)", "model size (KiB)"],
    )
    frame.index.name = "cost"
    return frame


def confusion_matrix(y_true: Sequence[Any], result: ModelResult, classes: Sequence[str]) -> go.Figure:
    """Counts of actual (rows) against predicted (columns) classes, with the row share on hover."""
    labels = [str(c) for c in classes]
    counts = skmetrics.confusion_matrix(
        np.asarray(y_true).astype(str), np.asarray(result.predictions).astype(str), labels=labels
    )
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    shown = [safe_text(c, 30) for c in labels]
    figure = _figure(f"{FAMILY_NAMES[result.family]}: confusion matrix", 140 + 45 * len(labels))
    figure.add_trace(
        go.Heatmap(
            z=shares,
            x=shown,
            y=shown,
            text=counts,
            texttemplate="%{text}",
            customdata=100 * shares,
            colorscale=[[0, "#ffffff"], [1, FAMILY_COLOURS[result.family]]],
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate=(
                "actual %{y}, predicted %{x}: %{text} rows (%{customdata:.0f}% of the actual class)<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title="predicted", type="category", side="bottom")
    figure.update_yaxes(title="actual", type="category", autorange="reversed")
    return figure


def roc_comparison(y_true: Sequence[Any], ml: ModelResult, dl: ModelResult, classes: Sequence[str]) -> go.Figure:
    """Both models' ROC curves on one chart: model by line style and colour (binary), class by colour (multiclass).

    Binary: one curve per model, in the model's colour. Multiclass: one curve
    per class and model (one class against the rest), the class in a colour
    of :data:`CLASS_COLOURS` and the model as the line style (solid classic ML,
    dashed deep learning), so the two never share a meaning.
    """
    truth = np.asarray(y_true).astype(str)
    labels = [str(c) for c in classes]
    shown = labels[1:] if len(labels) == 2 else labels
    several = len(shown) > 1
    figure = _figure("ROC curves of both models" + (" (each class against the rest)" if several else ""), 420)
    figure.add_trace(_diagonal(0.0, 1.0, "chance"))
    for result in (ml, dl):
        if result.probabilities is None:
            raise ValueError("ROC curves need class probabilities (a classification result)")
        for number, label in enumerate(shown):
            positive = truth == label
            if positive.all() or not positive.any():
                continue  # a class absent from the test rows has no curve
            fpr, tpr, _ = skmetrics.roc_curve(positive, result.probabilities[:, labels.index(label)])
            auc = skmetrics.auc(fpr, tpr)
            colour = CLASS_COLOURS[number % len(CLASS_COLOURS)] if several else FAMILY_COLOURS[result.family]
            name = f"{FAMILY_NAMES[result.family]}" + (f" · {safe_text(label, 20)}" if several else "")
            figure.add_trace(
                go.Scatter(
                    x=fpr, y=tpr, mode="lines", name=f"{name} (AUC {auc:.3f})",
                    line=dict(color=colour, width=2, dash=_DASHES[result.family]),
                    hovertemplate=(
                        "false positive rate %{x:.2f}<br>true positive rate %{y:.2f}<extra>%{fullData.name}</extra>"
                    ),
                )
            )
    figure.update_xaxes(title="false positive rate", range=[0, 1], constrain="domain")
    figure.update_yaxes(title="true positive rate", range=[0, 1.02])
    figure.update_layout(legend=dict(orientation="v", yanchor="bottom", y=0.02, xanchor="right", x=0.98))
    return figure


def target_histogram(values: Sequence[Any], target: str, log: bool = False) -> go.Figure:
    """How a numeric target is distributed (the profile's view of a regression target); ``log``: a log x axis."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    log = log and bool(len(numbers)) and bool((numbers > 0).all())
    shown = np.log10(numbers) if log else numbers
    figure = _figure(f"Distribution of {safe_text(target)}" + ("<br><sup>log scale</sup>" if log else ""), 320)
    figure.add_trace(
        go.Histogram(
            x=shown, nbinsx=40, marker_color=FAMILY_COLOURS["neutral"],
            hovertemplate=("10^%{x}" if log else "%{x}") + ": %{y} rows<extra></extra>",
        )
    )
    figure.update_xaxes(title=f"{safe_text(target)}" + (" (log10)" if log else ""))
    figure.update_yaxes(title="rows")
    figure.update_layout(showlegend=False, bargap=0.05)
    return figure


def log_scale_problem(y_true: Sequence[Any], ml: ModelResult, dl: ModelResult) -> str | None:
    """Why a log scale cannot show a regression's actual and predicted values (None: it can).

    A log axis drops every value ≤ 0, so the charts stay linear when the target
    or any prediction is ≤ 0; the reason names negative predictions of a
    positive target, which are themselves worth knowing.
    """
    truth = np.asarray(y_true, dtype=float)
    if not len(truth) or not (truth > 0).all():
        return f"the actual values include {count(int((truth <= 0).sum()), 'value')} ≤ 0, which a log scale cannot show"
    bad = {r.family: int((np.asarray(r.predictions, dtype=float) <= 0).sum()) for r in (ml, dl)}
    if not any(bad.values()):
        return None
    who = " and ".join(f"{FAMILY_NAMES[f]} {n:,}" for f, n in bad.items() if n)
    return (f"every actual value is positive, but some predictions are ≤ 0 ({who} of {len(truth):,} test rows), "
            "which a log scale cannot show")


def residuals(y_true: Sequence[Any], ml: ModelResult, dl: ModelResult, target: str = "target", log: bool = False) -> go.Figure:
    """Regression: each test row's error (predicted − actual) against its true value, both models on one chart."""
    truth = np.asarray(y_true, dtype=float)
    log = log and bool((truth > 0).all())
    figure = _figure(f"Errors of both models against actual {safe_text(target)}", 400)
    for result in (ml, dl):
        predicted = np.asarray(result.predictions, dtype=float)
        figure.add_trace(
            go.Scatter(
                x=truth, y=predicted - truth, mode="markers", name=FAMILY_NAMES[result.family],
                marker=dict(color=FAMILY_COLOURS[result.family], opacity=0.55, size=6),
                hovertemplate="actual %{x:,.4g}<br>predicted − actual %{y:,.4g}<extra>%{fullData.name}</extra>",
            )
        )
    figure.add_hline(y=0, line_dash="dash", line_color="#a0aec0")
    errors = np.concatenate([np.asarray(r.predictions, dtype=float) - truth for r in (ml, dl)]) if len(truth) else truth
    x_ticks = {} if log or not len(truth) else _number_ticks(float(truth.min()), float(truth.max()))
    y_ticks = _number_ticks(float(errors.min()), float(errors.max())) if len(errors) else {}
    figure.update_xaxes(title=f"actual {safe_text(target)}", type="log" if log else "linear", **x_ticks)
    figure.update_yaxes(title="predicted − actual", **y_ticks)
    figure.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    return figure


def predicted_vs_actual(
    y_true: Sequence[Any], result: ModelResult, target: str = "target", log: bool = False
) -> go.Figure:
    """Regression: each test row's prediction against its true value, with the ideal y = x line.

    ``log`` draws both axes on a log scale (when every value is positive), which
    spreads a skewed target's crowded low end.
    """
    truth = np.asarray(y_true, dtype=float)
    predicted = np.asarray(result.predictions, dtype=float)
    low = float(np.nanmin([truth.min(), predicted.min()]))
    high = float(np.nanmax([truth.max(), predicted.max()]))
    figure = _figure(f"{FAMILY_NAMES[result.family]}: predicted vs actual {safe_text(target)}", 400)
    figure.add_trace(_diagonal(low, high, "perfect prediction"))
    figure.add_trace(
        go.Scatter(
            x=truth,
            y=predicted,
            mode="markers",
            name="test rows",
            marker=dict(color=FAMILY_COLOURS[result.family], opacity=0.6, size=7),
            hovertemplate="actual %{x:,.4g}<br>predicted %{y:,.4g}<extra></extra>",
        )
    )
    log = log and bool((truth > 0).all() and (predicted > 0).all())
    ticks = {} if log else _number_ticks(low, high)
    figure.update_xaxes(title=f"actual {safe_text(target)}", type="log" if log else "linear", **ticks)
    figure.update_yaxes(title=f"predicted {safe_text(target)}", type="log" if log else "linear", **ticks)
    figure.update_layout(showlegend=False)
    return figure


# --- explanations ----------------------------------------------------------------------


def column_views_informative(ml: ModelExplanation, dl: ModelExplanation) -> bool:
    """Whether per-column charts (importance bars, beeswarms, waterfalls) carry information for this run.

    Not for images (the columns are pixels: the pixel maps say where a model
    looks) nor for a single column (one bar for ``tweet``: the token views say
    which words matter).
    """
    if ml.pixels is not None or dl.pixels is not None:
        return False
    return min(len(ml.columns), len(dl.columns)) >= 2


def importance_bars(explanation: ModelExplanation, family: str, top: int = 15) -> go.Figure:
    """Mean |SHAP| per original column (averaged over outputs), the ``top`` largest."""
    importance = list(explanation.global_importance.items())[:top]
    figure = _figure(f"{FAMILY_NAMES[family]}: global importance (mean |SHAP|)", 80 + 26 * max(len(importance), 3))
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
    figure.update_xaxes(title="mean |SHAP value|", rangemode="tozero", **_number_ticks(0.0, largest))
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
    figure = _figure(
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
                colorscale=_LOW_HIGH,
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
                        **_number_ticks(float(np.min(spread, initial=0.0)), float(np.max(spread, initial=0.0))))
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
    from engine.explanation import compared_importance, features_that_matter

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
    positions, shown = _label_positions(x, y, [_shorten(c, 24) if c in labelled else "" for c in columns], reach)
    figure = _figure(
        f"Importance per {noun}<br><sup>Spearman "
        f"{f'n/a (too few shared {noun}s)' if agreement.spearman is None else f'{agreement.spearman:.2f}'}"
        f" · top-5 overlap {agreement.top5_overlap} of 5"
        + (" · grey: near zero for both, not compared" if len(compared) < every else "")
        + (f"<br>the {len(columns):,} of {every:,} {noun}s with the largest combined share" if len(columns) < every else "")
        + "</sup>",
        480,
        margin=dict(l=10, r=30, t=70, b=10),
    )
    figure.add_trace(_diagonal(0.0, reach, "equal importance"))
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
    figure = _figure(
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
        **_number_ticks(*shown_range),
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


def _number_ticks(low: float, high: float, wanted: int = 6) -> dict[str, Any]:
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
    scale, suffix = next(((sc, su) for sc, su in _LARGE_UNITS if largest >= sc * 0.9995), (0.0, ""))
    if scale:  # one unit on one axis: "0.5 M" beside "1 M", never "500,000"
        texts = ["0" if v == 0 else f"{_trim_zeros(f'{v / scale:.2f}')} {suffix}" for v in values]
    else:
        texts = [format_number(v, 3) for v in values]
    return {"tickvals": values.tolist(), "ticktext": texts}


_LARGE_UNITS = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"))


def _trim_zeros(text: str) -> str:
    """'2.00 M' -> '2 M', '1.50 M' -> '1.5 M': round ticks need no padding zeros."""
    number, _, suffix = text.partition(" ")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number} {suffix}".strip()


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
    from engine.explanation import compared_importance

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


_VERDICT_UNITS = {
    "accuracy": (100.0, "points of accuracy"),
    "balanced_accuracy": (100.0, "points of balanced accuracy"),
    "r2": (1.0, "in R²"),
}


def describe_verdict(
    verdict: Verdict,
    recommendation_choice: str,
    agreed: bool,
    flags: dict[str, list[str]] | None = None,
    models: tuple[ModelResult, ModelResult] | None = None,
) -> str:
    """Which family won, by how much, and whether that agrees with the recommendation (plain text).

    The difference is printed with as many decimals as its interval needs. A
    tie that only the practical margin makes (the interval excludes zero) names
    that margin. An inconclusive verdict (a model flagged by scoring: one class
    only, no better than its baseline) or an unfair one (``verdict.fair`` False,
    read with a default so older records still read) never says "agrees".
    With ``models`` (ML, DL), a ROC AUC that ranks them the other way from
    the verdict's metric is named beside it.
    """
    scale, unit = _VERDICT_UNITS.get(verdict.metric, (1.0, f"in {verdict.metric}"))
    low, high = verdict.interval
    shown = format_difference(abs(verdict.difference) * scale, (high - low) * scale)
    decimals = max(3, len(shown.split(".")[-1]) if "." in shown else 0) if scale == 1.0 else 3
    interval = f"95% interval of the ML − DL difference: {low:+.{decimals}f} to {high:+.{decimals}f}"
    if scale != 1.0:  # in points, like the difference: "-0.000" said nothing
        places = max(len(shown.split(".")[-1]) if "." in shown else 0, 1)
        interval = f"95% interval of the ML − DL difference: {low * scale:+.{places}f} to {high * scale:+.{places}f} points"
    if verdict.splits > 1:
        interval = (f"mean over {verdict.splits} random 80/20 splits, corrected resampled t-test, "
                    f"p = {verdict.p_value:.2g}; {interval}")
    if verdict.winner == "tie" and not (low <= 0.0 <= high):
        margin = TIE_MARGIN_WORDS + ("" if scale != 1.0 else f" ({PRACTICAL_TIE_MARGIN:g} {unit})")
        result = (f"A tie: the difference is {shown} {unit}, within the practical-tie margin of {margin}, "
                  f"so not decisive ({interval}).")
    elif verdict.winner == "tie":
        result = f"A tie: the difference is {shown} {unit} and not decisive ({interval})."
    elif verdict.winner in ("ml", "dl"):
        result = f"{FAMILY_NAMES[verdict.winner]} won by {shown} {unit} ({interval})."
    else:  # no winner is named (an unfair fight): only what was measured
        ahead = "classic ML" if verdict.difference > 0 else "deep learning"
        result = f"As measured, {ahead} scored higher by {shown} {unit} ({interval})."
    if verdict.winner in ("ml", "dl"):
        result += _other_ranking(verdict, models)
    advised = SIDES[recommendation_choice].in_sentence
    if getattr(verdict, "fair", True) is False:
        why = (getattr(verdict, "unfair_reason", "") or "one side was cut short and the other was not").rstrip(". ")
        retrain = "" if "retrain" in why.lower() else ": retrain with a larger time budget"
        return (f"Not a fair comparison: {why}{retrain}. No winner is named and this does not test the "
                f"recommendation ({advised}). {result}")
    problems = [f"{SIDES[family].short} {flag}" for family, found in (flags or {}).items() for flag in found]
    if problems or not verdict.conclusive:
        why = f": {'; '.join(problems)}," if problems else " (a model scored no better than its baseline),"
        return f"{result} Inconclusive{why} so this does not test the recommendation ({advised})."
    agreement = "agrees with" if agreed else "does not agree with"
    return f"{result} That {agreement} the recommendation ({advised})."


def _other_ranking(verdict: Verdict, models: tuple[ModelResult, ModelResult] | None) -> str:
    """A sentence when ROC AUC ranks the two models the other way from the verdict's metric (else '')."""
    if models is None or verdict.metric == "r2" or verdict.winner == "tie":
        return ""
    ml, dl = models
    if "roc_auc" not in ml.metrics or "roc_auc" not in dl.metrics:
        return ""
    auc_ml, auc_dl = ml.metrics["roc_auc"], dl.metrics["roc_auc"]
    if (auc_ml - auc_dl) * verdict.difference >= 0 or auc_ml == auc_dl:
        return ""
    metric = _metric_title(verdict.metric).lower()
    return (
        f" ROC AUC ranks them the other way (classic ML {auc_ml:.3f}, deep learning {auc_dl:.3f}): "
        f"{metric} judges the predicted classes at the default threshold, ROC AUC how well each model orders "
        f"the rows at every threshold, so the loser on {metric} may do better with another threshold."
    )


def verdict_sentence(record: Any) -> str:
    """:func:`describe_verdict` of a run record, with its flags and both models (the train page and the report)."""
    return describe_verdict(
        record.verdict, record.advice.recommendation.choice, record.agreed_with_recommendation,
        flags={"ml": record.ml.flags, "dl": record.dl.flags}, models=(record.ml, record.dl),
    )


def verdict_is_good(record: Any) -> bool:
    """Whether a run's verdict may be shown in success colours: fair, conclusive and agreeing with the advice."""
    return outcome_key(record.verdict) in ("ml", "dl", "tie") and bool(record.agreed_with_recommendation)


# --- track record ----------------------------------------------------------------------

_WINNER_COLOURS = {"ml": FAMILY_COLOURS["ml"], "dl": FAMILY_COLOURS["dl"], "tie": FAMILY_COLOURS["neutral"]}
_WINNER_NAMES = {"ml": "classic ML won", "dl": "deep learning won", "tie": "a tie"}


def track_record_hit_rates(summary: dict[str, Any]) -> go.Figure:
    """The advisor's hit rate next to the naive advisors', with 95% Wilson intervals (ties agree / decisive only)."""
    names = {"advisor": "The advisor", "always_ml": "Always classic ML", "always_dl": "Always deep learning",
             "always_train_both": "Always train both"}
    rates = {"advisor": summary["advisor"]} | summary["naive"]
    figure = _figure("Hit rate against naive advisors (95% Wilson interval)", 340,
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
    figure = _figure("Advice against outcome per dataset", max(320, 22 * len(shown) + 120),
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
    figure = _figure("The corpus by size and kind", 320, xaxis=dict(title="rows", type="log"),
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
