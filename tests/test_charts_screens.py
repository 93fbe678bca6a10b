"""Figures say what they show: numbers in millions read '1.78 M', the log axis only when a log axis is possible,
per-column charts only where columns carry information."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.figures import explanations as shap_figures
from engine.figures import metrics as metric_figures
from engine.measure.evaluate import ModelResult
from engine.explain.explanation import ModelExplanation


def _millions_explanation() -> ModelExplanation:
    rng = np.random.default_rng(0)
    values = rng.normal(scale=4e5, size=(3, 12, 1))
    values[:, 0, 0] = -1.78e6
    base = np.array([2.5e6])
    outputs = base + values.sum(axis=1)
    return ModelExplanation("tree", [f"col{i}" for i in range(12)], ["predicted price"], values, base, outputs, 0.0, 0.0)


def test_waterfall_labels_and_axis_in_the_millions_read_M_and_stay_short() -> None:
    ml = _millions_explanation()
    row = pd.Series({f"col{i}": i * 1_000_000.5 for i in range(12)})
    for figure in shap_figures.waterfall_pair(ml, ml, 0, 0, row):
        texts = list(figure.data[0].text)
        assert "-1.78 M" in texts and not any("e+" in t or "e-" in t for t in texts), texts
        assert all(len(t) <= 8 for t in texts)  # short labels: neighbours cannot run into each other
        ticks = list(figure.layout.xaxis.ticktext)
        assert ticks and all(t == "0" or t.endswith(" M") for t in ticks), ticks
        assert " M" in figure.layout.title.text and "e+" not in figure.layout.title.text


def _regression(family: str, predictions: list[float]) -> ModelResult:
    return ModelResult(family, family, {"r2": 0.5}, (0.4, 0.6), 0.0, 0.0, 0.0, 0.0, 0,
                       predictions=np.asarray(predictions, dtype=float), metric="r2")


def test_a_log_scale_is_refused_with_a_reason_when_any_value_is_not_positive() -> None:
    truth = [10.0, 200.0, 3_000.0, 40_000.0]
    good = _regression("ml", [12.0, 180.0, 2_900.0, 41_000.0])
    negative = _regression("dl", [-5.0, 190.0, 3_100.0, 39_000.0])
    assert metric_figures.log_scale_problem(truth, good, good) is None
    why = metric_figures.log_scale_problem(truth, good, negative)
    assert why is not None and "predictions are ≤ 0" in why and "Deep learning 1" in why
    assert "actual values include 1 value ≤ 0" in metric_figures.log_scale_problem([0.0, *truth[1:]], good, good)
    assert metric_figures.predicted_vs_actual(truth, good, log=True).layout.xaxis.type == "log"
    assert metric_figures.predicted_vs_actual(truth, negative, log=True).layout.xaxis.type == "linear"


def _explanation(columns: int) -> ModelExplanation:
    values = np.ones((2, columns, 1))
    return ModelExplanation("x", [f"c{i}" for i in range(columns)], ["out"], values, np.zeros(1), np.zeros((2, 1)), 0.0, 0.0)


def test_per_column_charts_only_where_columns_carry_information() -> None:
    from engine.registry import kind_named

    assert shap_figures.column_views_informative(_explanation(5), _explanation(5))
    assert not shap_figures.column_views_informative(_explanation(1), _explanation(1))  # one text column: one bar
    assert not shap_figures.column_views_informative(_explanation(4), _explanation(4), column_charts=False)
    assert not kind_named("images").column_charts and kind_named("tabular").column_charts  # pixels: maps, not bars


def test_importance_and_beeswarm_axes_in_the_millions_read_M() -> None:
    ml = _millions_explanation()
    rows = pd.DataFrame({f"col{i}": [1.0, 2.0, 3.0] for i in range(12)})
    for figure in (shap_figures.importance_bars(ml, "ml"), shap_figures.beeswarm(ml, rows, 0, "ml")):
        ticks = list(figure.layout.xaxis.ticktext)
        assert ticks and all(t == "0" or t.endswith(" M") for t in ticks), ticks


def test_agreement_labels_cover_no_point_and_no_other_label() -> None:
    import plotly.graph_objects as go

    from engine.figures.explanations import _LABEL_POINT_SIZE, _label_boxes, _label_positions

    # the crowd seen in a browser: several columns near x = 0, two far right
    x = [0.2, 0.3, 0.1, 2.0, 7.0, 31.0, 58.0]
    y = [8.0, 6.5, 5.0, 3.0, 5.5, 3.0, 4.5]
    labels = ["worst radius", "mean concave points", "worst symmetry", "x", "mean compactness",
              "worst concave points", "worst area"]
    reach = 64.0
    positions, shown = _label_positions(x, y, labels, reach)
    boxes = _label_boxes(go.Figure(go.Scatter(x=x, y=y, text=shown, textposition=positions)), reach)
    dot = _LABEL_POINT_SIZE * reach / 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]), (a, b)
        for xi, yi in zip(x, y):
            assert not (a[0] < xi + dot and xi - dot < a[1] and a[2] < yi + dot and yi - dot < a[3]), (a, xi, yi)
    assert "worst area" in shown and "worst concave points" in shown
