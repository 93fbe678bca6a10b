"""Figures and sentences of the measurement: metrics and costs tables, confusion matrices, ROC curves,
predicted against actual, residuals, the target's distribution, and the verdict in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn import metrics as skmetrics

from engine.common.thresholds import PRACTICAL_TIE_MARGIN
from engine.common.wording import SIDES, TIE_MARGIN_WORDS, count, format_difference, outcome_key
from engine.figures.base import (
    FAMILY_COLOURS, FAMILY_NAMES, CLASS_COLOURS, FAMILY_DASHES, safe_text, metric_title, diagonal, base_figure,
    number_ticks,
)

if TYPE_CHECKING:
    from engine.measure.evaluate import ModelResult, Verdict


# --- measurement ---------------------------------------------------------------------


def metrics_table(ml: ModelResult, dl: ModelResult) -> pd.DataFrame:
    """Both models' metrics side by side (rows: metrics; columns: the two families)."""
    names = list(dict.fromkeys([*ml.metrics, *dl.metrics]))
    frame = pd.DataFrame(
        {FAMILY_NAMES[r.family]: [r.metrics.get(n, np.nan) for n in names] for r in (ml, dl)},
        index=[metric_title(n) for n in names],
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
    figure = base_figure(f"{FAMILY_NAMES[result.family]}: confusion matrix", 140 + 45 * len(labels))
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
    figure = base_figure("ROC curves of both models" + (" (each class against the rest)" if several else ""), 420)
    figure.add_trace(diagonal(0.0, 1.0, "chance"))
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
                    line=dict(color=colour, width=2, dash=FAMILY_DASHES[result.family]),
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
    figure = base_figure(f"Distribution of {safe_text(target)}" + ("<br><sup>log scale</sup>" if log else ""), 320)
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
    figure = base_figure(f"Errors of both models against actual {safe_text(target)}", 400)
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
    x_ticks = {} if log or not len(truth) else number_ticks(float(truth.min()), float(truth.max()))
    y_ticks = number_ticks(float(errors.min()), float(errors.max())) if len(errors) else {}
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
    figure = base_figure(f"{FAMILY_NAMES[result.family]}: predicted vs actual {safe_text(target)}", 400)
    figure.add_trace(diagonal(low, high, "perfect prediction"))
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
    ticks = {} if log else number_ticks(low, high)
    figure.update_xaxes(title=f"actual {safe_text(target)}", type="log" if log else "linear", **ticks)
    figure.update_yaxes(title=f"predicted {safe_text(target)}", type="log" if log else "linear", **ticks)
    figure.update_layout(showlegend=False)
    return figure


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
    fair = getattr(verdict, "fair", True) is not False
    problems = [f"{SIDES[family].short} {flag}" for family, found in (flags or {}).items() for flag in found]
    inconclusive = bool(problems) or not verdict.conclusive
    if verdict.winner == "tie" and not (low <= 0.0 <= high):
        margin = TIE_MARGIN_WORDS + ("" if scale != 1.0 else f" ({PRACTICAL_TIE_MARGIN:g} {unit})")
        result = (f"A tie: the difference is {shown} {unit}, within the practical-tie margin of {margin}, "
                  f"so not decisive ({interval}).")
    elif verdict.winner == "tie":
        result = f"A tie: the difference is {shown} {unit} and not decisive ({interval})."
    elif verdict.winner in ("ml", "dl") and fair and not inconclusive:
        result = f"{FAMILY_NAMES[verdict.winner]} won by {shown} {unit} ({interval})." + _other_ranking(verdict, models)
    else:  # no winner is named (an unfair fight, or a model no better than its baseline): only what was measured
        ahead = "classic ML" if verdict.difference > 0 else "deep learning"
        result = f"As measured, {ahead} scored higher by {shown} {unit} ({interval})."
    advised = SIDES[recommendation_choice].in_sentence
    if not fair:
        why = (getattr(verdict, "unfair_reason", "") or "one side was cut short and the other was not").rstrip(". ")
        retrain = "" if "retrain" in why.lower() else ": retrain with a larger time budget"
        return (f"Not a fair comparison: {why}{retrain}. No winner is named and this does not test the "
                f"recommendation ({advised}). {result}")
    if inconclusive:
        why = f": {'; '.join(problems)}" if problems else " (a model scored no better than its baseline)"
        if verdict.winner == "tie":
            return f"{result} Inconclusive{why}, so this does not test the recommendation ({advised})."
        # "Deep learning won" before "Inconclusive" read as a win: why first, then only what was measured.
        return f"Inconclusive{why}, so no winner is named and this does not test the recommendation ({advised}). {result}"
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
    metric = metric_title(verdict.metric).lower()
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
