"""engine.explain.explain (fast explainers): additivity, original columns, agreement."""

from __future__ import annotations

import numpy as np
import pytest

from engine.measure.evaluate import split_data
from engine.explain.explanation import ModelExplanation, agreement, output_names
from engine.kinds.tabular import BOOSTING, LINEAR, MLP
from engine.profile.features import group_by_original_column
from engine.models import make_dl_model, make_ml_model
from engine.profile.profile import profile_dataset
from tests.conftest import make_signal_table


def _explain_both(task: str, rows: int = 600, ml_kind: str = "boosting"):
    frame = make_signal_table(rows=rows, task=task)
    profile = profile_dataset(frame, "target")
    split = split_data(frame[profile.feature_columns], frame["target"], profile.task, 0)
    ml = make_ml_model(profile, kind=ml_kind).fit(split.X_train, split.y_train)
    dl = make_dl_model(profile).fit(split.X_train, split.y_train)
    classes = [str(c) for c in ml.classes_] if profile.task.is_classification else None
    labels = output_names(classes, "target")
    background, explained = split.X_train.iloc[:80], split.X_test.iloc[:60]
    ml_spec = {"boosting": BOOSTING, "linear": LINEAR}[ml_kind]
    return (
        ml_spec.explainers["fast"](ml, background, explained, labels, 0),
        MLP.explainers["fast"](dl, background, explained, labels, 0),
        ml, dl, explained,
    )


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_additivity_and_shapes(task):
    ml, dl, ml_model, dl_model, rows = _explain_both(task)
    n_outputs = {"binary": 1, "multiclass": 3, "regression": 1}[task]
    for explanation in (ml, dl):
        assert explanation.values.shape == (60, 8, n_outputs)
        assert explanation.columns == ml.columns
        reconstructed = explanation.base_values + explanation.values.sum(axis=1)
        np.testing.assert_allclose(reconstructed, explanation.outputs, rtol=0, atol=1e-4)
        assert explanation.additivity_max_error < 1e-4
    assert ml.explainer == "tree" and dl.explainer == "deep"
    # The explained outputs are the models' own raw outputs on those rows.
    encoded = ml_model[:-1].transform(rows)
    np.testing.assert_allclose(ml.outputs.ravel(), ml_model[-1].predict(encoded, raw_score=True).ravel(), atol=1e-9)
    if task == "binary":
        logit = dl_model[-1].decision_function(dl_model[:-1].transform(rows))
        np.testing.assert_allclose(dl.outputs[:, 0], logit, atol=1e-5)


def test_tree_explainer_is_exact_to_machine_precision():
    ml, *_ = _explain_both("binary", rows=300)
    np.testing.assert_allclose(ml.base_values + ml.values.sum(axis=1), ml.outputs, rtol=0, atol=1e-9)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_both_models_rank_the_driving_columns_first(task):
    ml, dl, *_ = _explain_both(task, rows=1500)
    drivers = {"signal_a", "signal_b", "colour"}
    for explanation in (ml, dl):
        top = list(explanation.global_importance)[:3]
        assert set(top) == drivers, (explanation.explainer, explanation.global_importance)
    assert agreement(ml, dl).top5_overlap >= 3


def test_one_hot_parts_are_summed_back_to_the_column():
    values = np.arange(12, dtype=float).reshape(2, 3, 2)
    grouped, columns = group_by_original_column(values, ["age", "colour\x1fred", "colour\x1fblue"])
    assert columns == ["age", "colour"]
    np.testing.assert_array_equal(grouped[:, 1], values[:, 1] + values[:, 2])


def test_linear_reference_is_explained_additively():
    ml, *_ = _explain_both("binary", rows=300, ml_kind="linear")
    assert ml.explainer == "linear"
    np.testing.assert_allclose(ml.base_values + ml.values.sum(axis=1), ml.outputs, rtol=0, atol=1e-6)


def _explanation(importances: list[float]) -> ModelExplanation:
    values = np.array(importances, dtype=float).reshape(1, -1, 1)
    return ModelExplanation("x", [f"c{i}" for i in range(len(importances))], ["out"], values, np.zeros(1),
                            np.zeros((1, 1)), 0.0, 0.0)


def test_agreement_numbers():
    same = agreement(_explanation([5, 4, 3, 2, 1, 0.5]), _explanation([50, 40, 30, 20, 10, 5]))
    assert same.spearman == pytest.approx(1.0) and same.top5_overlap == 5
    reversed_ = agreement(_explanation([5, 4, 3, 2, 1, 0.5]), _explanation([0.5, 1, 2, 3, 4, 5]))
    assert reversed_.spearman == pytest.approx(-1.0) and reversed_.top5_overlap == 4


def test_output_names():
    assert output_names(["no", "yes"], "churn") == ["log-odds of churn = yes"]
    assert len(output_names(["a", "b", "c"], "t")) == 3
    assert output_names(None, "price") == ["predicted price"]
