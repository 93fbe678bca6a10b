"""engine.models: both families as scikit-learn estimators; determinism; budgets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from engine.measure.evaluate import split_data
from engine.models import TorchMLPClassifier, TorchMLPRegressor, make_dl_model, make_ml_model
from engine.models.ml import time_budget_callback
from engine.profile.profile import profile_dataset
from tests.conftest import make_signal_table


def _fit_both(frame, seed=0, **dl):
    profile = profile_dataset(frame, "target")
    split = split_data(frame[profile.feature_columns], frame["target"], profile.task, seed)
    ml = make_ml_model(profile, seed=seed).fit(split.X_train, split.y_train)
    net = make_dl_model(profile, seed=seed, **dl).fit(split.X_train, split.y_train)
    return profile, split, ml, net


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_both_families_learn_the_signal(task):
    frame = make_signal_table(rows=800, task=task)
    profile, split, ml, net = _fit_both(frame)
    for model in (ml, net):
        score = model.score(split.X_test, split.y_test)
        assert score > (0.8 if task != "multiclass" else 0.75), (type(model[-1]).__name__, score)
        if task != "regression":
            proba = model.predict_proba(split.X_test)
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
            assert list(model.classes_) == sorted(frame["target"].unique())


def test_network_is_deterministic_under_a_seed():
    frame = make_signal_table(rows=400)
    *_, first = _fit_both(frame, seed=3)
    profile, split, _, second = _fit_both(frame, seed=3)
    np.testing.assert_array_equal(first.predict_proba(split.X_test), second.predict_proba(split.X_test))
    *_, other = _fit_both(frame, seed=4)
    assert not np.array_equal(first.predict_proba(split.X_test), other.predict_proba(split.X_test))


def test_trees_are_deterministic_under_a_seed():
    frame = make_signal_table(rows=400)
    _, split, first, _ = _fit_both(frame, seed=1)
    _, _, second, _ = _fit_both(frame, seed=1)
    np.testing.assert_array_equal(first.predict_proba(split.X_test), second.predict_proba(split.X_test))


def test_estimator_contract():
    net = TorchMLPClassifier(hidden_sizes=(8,), max_epochs=3, random_state=5)
    assert net.get_params()["hidden_sizes"] == (8,)
    assert clone(net).get_params() == net.get_params()
    with pytest.raises(NotFittedError):
        net.predict(np.zeros((2, 3)))
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.array(["a", "b", "c"] * 20)
    assert net.fit(X, y) is net
    check_is_fitted(net)
    assert net.n_features_in_ == 3 and list(net.classes_) == ["a", "b", "c"]
    assert net.decision_function(X).shape == (60, 3)
    binary = TorchMLPClassifier(max_epochs=2).fit(X, y == "a")
    assert binary.decision_function(X).shape == (60,)


def test_regressor_outputs_in_target_units():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = 1000.0 + 50.0 * X[:, 0]
    net = TorchMLPRegressor(max_epochs=150, patience=30).fit(X, y)
    predictions = net.predict(X)
    assert abs(predictions.mean() - 1000.0) < 10.0
    assert np.corrcoef(predictions, y)[0, 1] > 0.95


def test_time_budget_stops_training():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 10))
    y = (X[:, 0] > 0).astype(int)
    net = TorchMLPClassifier(max_epochs=10_000, patience=10_000, max_seconds=0.3).fit(X, y)
    assert net.stopped_by_ == "time_budget"
    assert net.n_epochs_ < 10_000


def test_epoch_callback_reports_progress():
    seen = []
    X = np.random.default_rng(0).normal(size=(100, 2))
    TorchMLPClassifier(max_epochs=4, patience=100).fit(X, X[:, 0] > 0, on_epoch=lambda e, m, loss: seen.append((e, m)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_lightgbm_time_budget_callback_stops_early():
    frame = make_signal_table(rows=400)
    profile = profile_dataset(frame, "target")
    model = make_ml_model(profile)
    iterations = []
    model.fit(frame[profile.feature_columns], frame["target"],
              model__callbacks=[time_budget_callback(0.0, lambda done, total: iterations.append(done))])
    assert model[-1].booster_.num_trees() < model[-1].n_estimators
    assert iterations == [1]


def test_linear_reference_model():
    frame = make_signal_table(rows=500)
    profile = profile_dataset(frame, "target")
    model = make_ml_model(profile, kind="linear").fit(frame[profile.feature_columns], frame["target"])
    assert model.score(frame[profile.feature_columns], frame["target"]) > 0.8
    with pytest.raises(ValueError, match="unknown ML model kind"):
        make_ml_model(profile, kind="forest")


def test_network_handles_missing_and_unseen_categories():
    frame = make_signal_table(rows=400)
    frame.loc[::7, "signal_a"] = np.nan
    frame.loc[::5, "colour"] = np.nan
    _, split, ml, net = _fit_both(frame)
    unseen = split.X_test.copy()
    unseen["colour"] = "purple"
    for model in (ml, net):
        assert np.isfinite(model.predict_proba(unseen)).all()


def _skewed_table(rows: int = 2000, seed: int = 0) -> "pd.DataFrame":
    """About 5% positives that overlap the negatives: the plain loss learns to say "no" almost always."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"signal": rng.normal(size=rows), "noise": rng.normal(size=rows)})
    frame["target"] = np.where(frame["signal"] + rng.normal(scale=0.8, size=rows) > 2.0, "yes", "no")
    return frame


def test_skewed_classes_train_both_families_balanced():
    """Where the verdict is balanced accuracy, both families weight the classes alike; elsewhere neither does."""
    from sklearn.metrics import balanced_accuracy_score

    from engine.measure.evaluate import verdict_metric
    from engine.profile.balance import balanced_training

    frame = _skewed_table()
    profile = profile_dataset(frame, "target")
    split = split_data(frame[profile.feature_columns], frame["target"], profile.task, 0)
    assert balanced_training(profile) and verdict_metric(profile.task, split.y_train) == "balanced_accuracy"
    assert make_ml_model(profile)[-1].class_weight == "balanced"
    assert make_ml_model(profile, kind="linear")[-1].class_weight == "balanced"
    balanced = make_dl_model(profile, max_epochs=60).fit(split.X_train, split.y_train)
    plain = make_dl_model(profile, max_epochs=60, class_weight=None).fit(split.X_train, split.y_train)
    assert balanced[-1].class_weight == "balanced" and plain[-1].class_weights_ is None
    weights = balanced[-1].class_weights_
    shares = split.y_train.value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(weights, 1.0 / (2 * shares), rtol=0.05)  # n / (classes × n_class)
    scores = {name: balanced_accuracy_score(split.y_test, model.predict(split.X_test))
              for name, model in (("balanced", balanced), ("plain", plain))}
    assert scores["balanced"] > scores["plain"] + 0.1, scores
    even = profile_dataset(make_signal_table(rows=300), "target")
    assert not balanced_training(even)
    assert make_ml_model(even)[-1].class_weight is None and make_dl_model(even)[-1].class_weight is None


def test_balanced_class_weights_in_the_multiclass_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = np.array(["a"] * 300 + ["b"] * 80 + ["c"] * 20)
    net = TorchMLPClassifier(max_epochs=2, class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(net.class_weights_, [400 / (3 * 300), 400 / (3 * 80), 400 / (3 * 20)])
    assert torch.equal(net._loss().weight, torch.tensor(net.class_weights_, dtype=torch.float32))
    chosen = TorchMLPClassifier(max_epochs=1, class_weight={"c": 5.0}).fit(X, y)
    np.testing.assert_allclose(chosen.class_weights_, [1.0, 1.0, 5.0])
    with pytest.raises(ValueError, match="balanced"):
        TorchMLPClassifier(max_epochs=1, class_weight="heavy").fit(X, y)
