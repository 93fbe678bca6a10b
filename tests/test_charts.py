"""engine.figures (base, advice, profile, metrics, explanations, track_record): figures from engine results, checked against the numbers they draw."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from engine.figures import advice as advice_figures
from engine.figures import base as figure_base
from engine.figures import explanations as shap_figures
from engine.figures import metrics as metric_figures
from engine.figures import profile as profile_figures
from engine.measure.evaluate import ModelResult, Verdict
from engine.profile.profile import profile_dataset
from engine.advice.recommend import Answers, DataKind, Transparency, recommend

HOSTILE = "<b>bold</b><img src=x onerror=alert(1)>"


def _result(family: str, predictions: list, probabilities: np.ndarray | None = None) -> ModelResult:
    return ModelResult(
        family=family,
        name=f"{family} model",
        metrics={"accuracy": 0.75, "f1": 0.7},
        interval=(0.6, 0.9),
        baseline=0.5,
        train_seconds=1.5,
        predict_seconds=0.01,
        predict_seconds_per_1k=0.1,
        size_bytes=2048,
        predictions=np.asarray(predictions),
        probabilities=probabilities,
    )


def _explanation(columns: list[str], outputs: int = 1, rows: int = 8, seed: int = 0):
    from engine.explain.explain import ModelExplanation

    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, len(columns), outputs)) * np.arange(len(columns), 0, -1)[None, :, None]
    base = rng.normal(size=outputs)
    return ModelExplanation(
        explainer="tree",
        columns=columns,
        output_names=[f"out {i}" for i in range(outputs)],
        values=values,
        base_values=base,
        outputs=base + values.sum(axis=1),
        additivity_max_error=0.0,
        seconds=0.1,
    )


def _spec(figure: go.Figure) -> str:
    return json.dumps(figure.to_plotly_json(), default=str)


def test_scorecard_draws_each_criterion_contribution_with_its_reason() -> None:
    rec = recommend(Answers(data_kind=DataKind.TABULAR, labelled_rows=500, transparency=Transparency.HIGH))
    figure = advice_figures.scorecard(rec)
    bar = figure.data[0]
    assert list(bar.y) == [figure_base.criterion_title(c.name) for c in rec.criteria]
    assert list(bar.x) == pytest.approx([c.score * c.weight for c in rec.criteria])
    for criterion, hover in zip(rec.criteria, bar.hovertext):
        assert criterion.reason.split()[0] in hover
    # every criterion here favours classic ML except the unknown feature engineering (neutral)
    colours = dict(zip(bar.y, bar.marker.color))
    assert colours["Data structure"] == figure_base.FAMILY_COLOURS["ml"]
    assert colours["Feature engineering"] == figure_base.FAMILY_COLOURS["neutral"]
    table = advice_figures.scorecard_table(rec)
    assert len(table) == 6 and {"criterion", "value", "favours", "weight", "reason"} <= set(table.columns)


def test_beeswarm_colour_scale_reads_numbers_booleans_and_dates_and_greys_the_rest() -> None:
    index = [10, 11, 12]  # rows keep their test-set labels; the colours are positional
    as_number = shap_figures._as_number
    assert list(as_number(pd.Series([3, 1, 2], index=index))) == [3.0, 1.0, 2.0]
    assert list(as_number(pd.Series([True, False, True], index=index))) == [1.0, 0.0, 1.0]
    assert list(as_number(pd.Series([True, None, False], dtype="boolean", index=index)).fillna(-1)) == [1.0, -1.0, 0.0]
    assert list(as_number(pd.Series(["1970-01-02", "1970-01-01", "1970-01-03"], index=index))) == [1.0, 0.0, 2.0]
    assert as_number(pd.Series(["red", "blue", "red"], index=index)).isna().all()
    assert all(list(as_number(pd.Series(values, index=index)).index) == [0, 1, 2] for values in ([1, 2, 3], ["a"] * 3))


def test_hover_text_wraps_at_word_boundaries() -> None:
    text = "a reason long enough to need three lines of hover text, with one unbreakable " + "w" * 80 + " in it"
    lines = advice_figures._wrap(text, width=30).split("<br>")
    assert " ".join(lines) == text  # nothing lost, nothing split inside a word
    assert "w" * 80 in lines
    assert all(len(line) <= 30 for line in lines if "w" * 80 not in line)
    assert all(len(a) + 1 + len(b.split()[0]) > 30 for a, b in zip(lines, lines[1:]))  # each line is filled
    assert advice_figures._wrap("") == ""


def test_profile_table_and_class_balance(signal_table: pd.DataFrame) -> None:
    profile = profile_dataset(signal_table, "target")
    table = profile_figures.profile_table(profile)
    assert list(table["column"]) == list(signal_table.columns)
    assert table.set_index("column").loc["target", "role"] == "target"
    figure = profile_figures.class_balance(profile)
    assert sum(figure.data[0].x) == pytest.approx(100.0)


def test_confusion_matrix_counts_every_test_row() -> None:
    truth = ["a", "a", "b", "b", "b"]
    figure = metric_figures.confusion_matrix(truth, _result("ml", ["a", "b", "b", "b", "a"]), ["a", "b"])
    counts = np.asarray(figure.data[0].text)
    assert counts.tolist() == [[1, 1], [1, 2]]
    assert counts.sum() == len(truth)


def test_predicted_vs_actual_plots_each_row() -> None:
    figure = metric_figures.predicted_vs_actual([1.0, 2.0, 3.0], _result("ml", [1.1, 1.9, 3.2]), "price")
    assert list(figure.data[1].x) == [1.0, 2.0, 3.0]
    assert list(figure.data[1].y) == pytest.approx([1.1, 1.9, 3.2])


def test_metric_and_cost_tables_put_both_families_side_by_side() -> None:
    ml, dl = _result("ml", [1]), _result("dl", [1])
    assert list(metric_figures.metrics_table(ml, dl).columns) == ["Classic ML", "Deep learning"]
    costs = metric_figures.costs_table(ml, dl)
    assert costs.loc["model size (KiB)", "Classic ML"] == pytest.approx(2.0)
    assert costs.loc["predict time per 1,000 rows (ms)", "Deep learning"] == pytest.approx(100.0)


def test_importance_bars_are_sorted_and_escape_user_names() -> None:
    explanation = _explanation(["first", HOSTILE, "third"])
    figure = shap_figures.importance_bars(explanation, "ml")
    importance = list(explanation.global_importance.values())
    assert list(figure.data[0].x) == pytest.approx(importance)
    spec = _spec(figure)
    assert "<img" not in spec and "<b>bold" not in spec
    assert "&lt;img src=x onerror=alert(1)&gt;" in spec


def test_beeswarm_has_a_point_per_row_and_column_and_colours_categories() -> None:
    columns = ["size", "colour", "weight"]
    explanation = _explanation(columns, outputs=2, rows=10)
    rows = pd.DataFrame({"size": np.arange(10.0), "colour": list("rgbrgbrgbr"), "weight": np.linspace(0, 1, 10)})
    rows.loc[0, "colour"] = None
    figure = shap_figures.beeswarm(explanation, rows, output=1, family="dl")
    coloured, categories, missing = figure.data
    assert len(coloured.x) == 20 and len(categories.x) == 9 and len(missing.x) == 1  # numbers, categories, missing
    assert sorted(np.round([*categories.x, *missing.x], 9)) == sorted(np.round(explanation.values[:, 1, 1], 9))
    assert len(set(categories.marker.color)) == 3  # one colour per category…
    assert not set(categories.marker.color) & set(figure_base.FAMILY_COLOURS.values())  # …never a model's


def test_waterfall_walks_from_base_value_to_model_output() -> None:
    columns = [f"c{i}" for i in range(14)]
    explanation = _explanation(columns, outputs=3, rows=4)
    row_values = pd.Series({c: i for i, c in enumerate(columns)})
    figure = shap_figures.waterfall(explanation, row=2, output=1, row_values=row_values, family="ml", top=10)
    trace = figure.data[0]
    assert trace.base == pytest.approx(explanation.base_values[1])
    relative = [x for x, m in zip(trace.x, trace.measure) if m == "relative"]
    assert len(relative) == 11  # 10 shown columns + the other 4 summed
    assert trace.base + sum(relative) == pytest.approx(explanation.outputs[2, 1])
    assert trace.text[-1] == f"{explanation.outputs[2, 1]:.3g}"


def test_agreement_scatter_and_its_words() -> None:
    from engine.explain.explain import agreement

    ml = _explanation(["a", "b", "c", "d", "e", "f"], seed=1)
    dl = _explanation(["a", "b", "c", "d", "e", "f"], seed=2)
    result = agreement(ml, dl)
    figure = shap_figures.agreement_scatter(ml, dl, result)
    assert len(figure.data[1].x) == 6
    assert sum(figure.data[1].x) == pytest.approx(100.0)
    words = shap_figures.describe_agreement(result, ml, dl)
    assert f"{result.spearman:.2f}" in words and f"{result.top5_overlap} of their top 5" in words


def test_verdict_sentence_names_winner_margin_and_agreement() -> None:
    verdict = Verdict(winner="ml", metric="accuracy", difference=0.034, interval=(0.01, 0.06), rule="")
    text = metric_figures.describe_verdict(verdict, "ml", agreed=True)
    assert text.startswith("Classic ML won by 3.4 points of accuracy") and "agrees with the recommendation" in text
    tie = metric_figures.describe_verdict(Verdict("tie", "r2", 0.001, (-0.01, 0.02), ""), "dl", agreed=True)
    assert tie.startswith("A tie") and "deep learning" in tie
    # 0.900 against 0.886 in R²: the difference needs three decimals, never "0.0".
    close = metric_figures.describe_verdict(Verdict("tie", "r2", 0.014, (-0.02, 0.05), ""), "ml", agreed=True)
    assert "the difference is 0.014 in R²" in close
    flagged = metric_figures.describe_verdict(
        Verdict("ml", "balanced_accuracy", 0.3, (0.2, 0.4), "", conclusive=False), "ml", agreed=True,
        flags={"ml": [], "dl": ["predicts one class (No) for every test row"]},
    )
    assert flagged.startswith("Inconclusive: Deep learning predicts one class (No) for every test row, so no winner is named")
    assert "As measured, classic ML scored higher by 30.0 points of balanced accuracy" in flagged
    assert "agrees with" not in flagged and "won" not in flagged
    resampled = metric_figures.describe_verdict(
        Verdict("dl", "r2", -0.09, (-0.15, -0.03), "", splits=8, method="corrected resampled t-test", p_value=0.012), "ml", agreed=False)
    assert "Deep learning won by 0.09 in R² (mean over 8 random 80/20 splits, corrected resampled t-test, p = 0.012" in resampled


def test_safe_text_escapes_only_what_plotly_decodes() -> None:
    assert figure_base.safe_text('<a href="x">&') == '&lt;a href="x"&gt;&amp;'  # plotly.js shows &quot; literally
    assert figure_base.safe_text("x" * 100, limit=10) == "x" * 9 + "…"


def _mlp_pair():
    columns = [f"c{i}" for i in range(14)]
    ml = _explanation(columns, outputs=1, rows=4, seed=3)
    dl = _explanation(columns, outputs=1, rows=4, seed=4)
    dl.values[:, :, 0] = dl.values[:, ::-1, 0] * 40  # another order and another scale
    dl.outputs[:] = dl.base_values + dl.values.sum(axis=1)
    return columns, ml, dl


def test_both_waterfalls_share_one_x_range_and_one_feature_order_and_keep_their_labels() -> None:
    columns, ml, dl = _mlp_pair()
    row_values = pd.Series({c: i for i, c in enumerate(columns)})
    left, right = shap_figures.waterfall_pair(ml, dl, row=1, output=0, row_values=row_values, top=6)
    assert left.layout.xaxis.range == right.layout.xaxis.range
    assert list(left.data[0].y) == list(right.data[0].y)  # the same columns in the same rows
    for figure, explanation in ((left, ml), (right, dl)):
        trace = figure.data[0]
        assert trace.textposition == "outside" and trace.cliponaxis is False
        low, high = figure.layout.xaxis.range
        path = trace.base + np.cumsum(trace.x[:-1])
        span = high - low
        # every bar end leaves over a sixth of the axis for its label, on both sides
        assert low + span / 6 < min(path.min(), trace.base) and max(path.max(), trace.base) < high - span / 6
        assert trace.base + sum(trace.x[:-1]) == pytest.approx(explanation.outputs[1, 0])
        negative = [t for t, v in zip(trace.text, trace.x) if v < 0]
        assert negative and all(t.startswith("-") for t in negative)  # the sign is part of the label


def test_roc_comparison_puts_both_models_on_one_chart_and_classes_never_take_model_colours() -> None:
    truth = ["n", "y", "n", "y", "y", "n"]
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.55, 0.45], [0.8, 0.2]])
    ml, dl = _result("ml", truth, probabilities), _result("dl", truth, probabilities[:, ::-1])
    binary = metric_figures.roc_comparison(truth, ml, dl, ["n", "y"])
    assert [t.line.color for t in binary.data[1:]] == [figure_base.FAMILY_COLOURS["ml"], figure_base.FAMILY_COLOURS["dl"]]
    assert "AUC 1.000" in binary.data[1].name and "AUC 0.000" in binary.data[2].name  # chance line first
    with pytest.raises(ValueError):
        metric_figures.roc_comparison(truth, _result("ml", truth), dl, ["n", "y"])  # no probabilities: regression
    truth3 = ["a", "b", "c", "a", "b", "c"]
    p3 = np.eye(3)[[0, 1, 2, 0, 1, 2]] * 0.7 + 0.1
    multi = metric_figures.roc_comparison(truth3, _result("ml", truth3, p3), _result("dl", truth3, p3), ["a", "b", "c"])
    assert len(multi.data) == 1 + 2 * 3
    colours = {t.line.color for t in multi.data[1:]}
    assert len(colours) == 3 and not colours & set(figure_base.FAMILY_COLOURS.values())
    assert {t.line.dash for t in multi.data[1:]} == {"solid", "dash"}  # the model is the line style


def test_agreement_labels_do_not_overlap_even_when_points_crowd() -> None:
    from engine.figures.explanations import _label_boxes, _label_positions

    x = [10.0, 10.5, 11.0, 10.2, 30.0]
    y = [10.0, 10.4, 10.8, 9.7, 30.0]
    labels = ["first_column", "second_column", "third", "fourth_one", "far"]
    positions, shown = _label_positions(x, y, labels, reach=40.0)
    assert "far" in shown and sum(bool(s) for s in shown) >= 3
    figure = go.Figure(go.Scatter(x=x, y=y, text=shown, textposition=positions))
    boxes = _label_boxes(figure, 40.0)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]), (a, b)


def test_skewed_regression_target_gets_a_log_scale_a_residual_view_and_a_histogram() -> None:
    from engine.profile.balance import is_skewed, is_skewed_target

    values = np.exp(np.random.default_rng(0).normal(10, 1.5, size=400))  # market values: a long right tail
    assert is_skewed_target(values) and not is_skewed_target(np.arange(400.0))
    assert is_skewed({"No": 94, "Yes": 6}) and not is_skewed({"a": 50, "b": 40})
    truth = values[:50]
    ml, dl = _result("ml", list(truth * 1.1)), _result("dl", list(truth * 0.8))
    logged = metric_figures.predicted_vs_actual(truth, ml, "value", log=True)
    assert logged.layout.xaxis.type == "log" and logged.layout.yaxis.type == "log"
    errors = metric_figures.residuals(truth, ml, dl, "value")
    assert [t.name for t in errors.data] == ["Classic ML", "Deep learning"]
    assert np.asarray(errors.data[1].y) == pytest.approx(-0.2 * truth)
    histogram = metric_figures.target_histogram(values, "value", log=True)
    assert histogram.layout.title.text.startswith("Distribution of value") and len(histogram.data[0].x) == 400


def test_a_score_against_its_baseline_never_reads_as_a_red_gain_or_a_green_flag() -> None:
    from engine.common.wording import baseline_delta

    assert baseline_delta(0.5, 0.5, flagged=True) == ("±0.000 vs baseline", "off", "off")
    assert baseline_delta(0.5002, 0.5, flagged=False) == ("±0.000 vs baseline", "off", "off")
    assert baseline_delta(0.62, 0.5, flagged=False) == ("+0.120 vs baseline", "normal", "auto")
    assert baseline_delta(0.52, 0.5, flagged=True) == ("+0.020 vs baseline", "off", "auto")
    assert baseline_delta(0.4, 0.5, flagged=True) == ("-0.100 vs baseline", "normal", "auto")


def test_the_corpus_map_legend_shows_colours_as_circles_and_the_miss_as_its_own_entry() -> None:
    """A trace's legend takes its first point's symbol: "deep learning won" showed a ✕ because the first
    dataset deep learning won was one the advice missed."""
    from engine.figures import track_record as track_record_figures

    rows = [dict(dataset="a", rows=500, kind="tabular", winner="dl", agreed=False),
            dict(dataset="b", rows=5_000, kind="tabular", winner="dl", agreed=True),
            dict(dataset="c", rows=80, kind="text", winner="ml", agreed=True)]
    figure = track_record_figures.track_record_map(rows)
    legend = {trace.name: trace.marker.symbol for trace in figure.data if trace.showlegend is not False}
    assert legend == {"deep learning won": "circle", "classic ML won": "circle", track_record_figures.MISSED_NAME: "x"}
    points = {trace.name: list(trace.marker.symbol) for trace in figure.data if trace.showlegend is False}
    assert points == {"deep learning won": ["x", "circle"], "classic ML won": ["circle"]}  # the points keep their ✕
    no_miss = track_record_figures.track_record_map([r | {"agreed": True} for r in rows])
    assert track_record_figures.MISSED_NAME not in {trace.name for trace in no_miss.data}
