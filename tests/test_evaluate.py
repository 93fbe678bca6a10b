"""engine.measure.evaluate: split, metrics, intervals, baseline, winner rule, size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.common import thresholds as th
from engine.measure.evaluate import ModelResult, Split, _baseline, decide_winner, model_size_bytes, score_model, split_data
from engine.models import make_ml_model
from engine.profile.profile import Task, profile_dataset
from tests.conftest import make_signal_table


def _result(family: str, predictions: np.ndarray, y: np.ndarray, task: Task) -> ModelResult:
    metric = "accuracy" if task.is_classification else "r2"
    value = float(np.mean(predictions == y)) if task.is_classification else float(1 - np.sum((y - predictions) ** 2) / np.sum((y - y.mean()) ** 2))
    return ModelResult(family=family, name=family, metrics={metric: value}, interval=(0, 1), baseline=0.5,
                       train_seconds=0, predict_seconds=0, predict_seconds_per_1k=0, size_bytes=0, predictions=predictions, metric=metric)


def test_split_is_stratified_and_seeded():
    y = pd.Series(["a"] * 90 + ["b"] * 10)
    X = pd.DataFrame({"x": range(100)})
    split = split_data(X, y, Task.BINARY, seed=7)
    assert split.y_test.value_counts().to_dict() == {"a": 18, "b": 2}
    again = split_data(X, y, Task.BINARY, seed=7)
    assert split.X_test.index.tolist() == again.X_test.index.tolist()
    assert split.to_dict() == {"train_rows": 80, "test_rows": 20, "seed": 7}


def test_split_keeps_every_class_in_test_when_many_classes():
    y = pd.Series([f"c{i % 30}" for i in range(90)])
    split = split_data(pd.DataFrame({"x": range(90)}), y, Task.MULTICLASS, seed=0)
    assert split.y_test.nunique() == 30


def test_a_class_too_rare_for_a_stratified_test_row_still_gets_one():
    # 2 rows in 60: stratified rounding gives it 0.4 of the 12 test rows, so none; every metric then judged the
    # models without it (a majority model scored a balanced accuracy of 1.0).
    y = pd.Series(["common"] * 58 + ["rare"] * 2, index=range(100, 160))
    X = pd.DataFrame({"x": range(60)}, index=y.index)
    from sklearn.model_selection import train_test_split

    assert "rare" not in set(train_test_split(y, test_size=0.2, random_state=0, stratify=y)[1])  # the rounding
    split = split_data(X, y, Task.BINARY, seed=0)
    assert split.y_test.value_counts().to_dict() == {"common": 11, "rare": 1}
    assert split.y_train.value_counts().to_dict() == {"common": 47, "rare": 1}
    assert split.X_test.index.equals(split.y_test.index) and split.X_train.index.equals(split.y_train.index)
    assert split.to_dict() == {"train_rows": 48, "test_rows": 12, "seed": 0}


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(2, 40), min_size=2, max_size=8), seed=st.integers(0, 2**31 - 1))
def test_every_class_of_two_rows_or_more_is_on_both_sides_and_the_sizes_stay_stratified(counts, seed):
    from sklearn.model_selection import train_test_split

    y = pd.Series([f"c{i}" for i, n in enumerate(counts) for _ in range(n)])
    X = pd.DataFrame({"x": range(len(y))})
    task = Task.BINARY if len(counts) == 2 else Task.MULTICLASS
    split = split_data(X, y, task, seed)
    assert set(split.y_test) == set(split.y_train) == set(y)
    assert sorted(split.X_train.index.tolist() + split.X_test.index.tolist()) == list(range(len(y)))
    _, plain_test = train_test_split(y, test_size=max(th.TEST_FRACTION, len(counts) / len(y)), random_state=seed,
                                     stratify=y)
    assert len(split.y_test) == len(plain_test)
    if set(plain_test) == set(y):  # nothing to trade: exactly the stratified split
        assert split.y_test.index.tolist() == plain_test.index.tolist()


def test_score_model_metrics_and_costs(signal_table):
    profile = profile_dataset(signal_table, "target")
    split = split_data(signal_table[profile.feature_columns], signal_table["target"], profile.task, 0)
    model = make_ml_model(profile).fit(split.X_train, split.y_train)
    result = score_model("ml", "trees", model, split, profile.task, train_seconds=1.5, seed=0)
    assert set(result.metrics) >= {"accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss"}
    for name in ("accuracy", "balanced_accuracy", "f1", "roc_auc"):
        assert 0.0 <= result.metrics[name] <= 1.0
    low, high = result.interval
    assert low <= result.metrics["accuracy"] <= high and high - low < 0.2
    assert result.baseline == pytest.approx(split.y_test.eq(split.y_train.value_counts().idxmax()).mean())
    assert result.metrics["accuracy"] > result.baseline
    assert result.size_bytes == model_size_bytes(model) > 1000
    assert result.predict_seconds_per_1k > 0  # timed on a real 1,000-row batch


def test_regression_metrics_and_mean_baseline():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    frame["target"] = 3 * frame["x"] + rng.normal(scale=0.1, size=300)
    profile = profile_dataset(frame, "target")
    split = split_data(frame[["x", "z"]], frame["target"], profile.task, 0)
    model = make_ml_model(profile).fit(split.X_train, split.y_train)
    result = score_model("ml", "trees", model, split, profile.task, 0.0, 0)
    assert set(result.metrics) == {"r2", "mae", "rmse"}
    assert result.metrics["r2"] > 0.9
    assert result.baseline <= 0.0


def test_winner_rule():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b"], size=400)
    perfect = y.copy()
    noisy = np.where(rng.random(400) < 0.3, np.where(y == "a", "b", "a"), y)
    clear = decide_winner(Task.BINARY, y, _result("ml", perfect, y, Task.BINARY), _result("dl", noisy, y, Task.BINARY), 0)
    assert clear.winner == "ml" and clear.difference > 0.2 and clear.interval[0] > 0
    reverse = decide_winner(Task.BINARY, y, _result("ml", noisy, y, Task.BINARY), _result("dl", perfect, y, Task.BINARY), 0)
    assert reverse.winner == "dl"
    almost = perfect.copy()
    almost[0] = "b" if almost[0] == "a" else "a"
    tie = decide_winner(Task.BINARY, y, _result("ml", perfect, y, Task.BINARY), _result("dl", almost, y, Task.BINARY), 0)
    assert tie.winner == "tie" and abs(tie.difference) < th.PRACTICAL_TIE_MARGIN


def test_winner_rule_regression():
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    good = y + rng.normal(scale=0.1, size=300)
    bad = y + rng.normal(scale=1.0, size=300)
    verdict = decide_winner(Task.REGRESSION, y, _result("ml", bad, y, Task.REGRESSION), _result("dl", good, y, Task.REGRESSION), 0)
    assert verdict.winner == "dl" and verdict.metric == "r2"


def _r2_along(y: np.ndarray, predicted: np.ndarray, axis: int = -1) -> np.ndarray:
    residual = ((y - predicted) ** 2).sum(axis=axis)
    total = ((y - y.mean(axis=axis, keepdims=True)) ** 2).sum(axis=axis)
    return 1.0 - residual / total


@pytest.mark.parametrize("task", [Task.BINARY, Task.REGRESSION])
def test_paired_interval_agrees_with_scipy_bootstrap(monkeypatch, task):
    """The hand-written paired bootstrap (kept: ~3x faster than scipy's on 20k rows) matches scipy's.

    Both sides use 20,000 resamples, so each percentile endpoint has a Monte Carlo
    standard error of about 0.02 bootstrap standard deviations (sd); 0.1 sd is ~4
    standard errors of the difference of two independent estimates. Dropping the
    pairing (independent resamples per model) widens the interval by several sd
    here, because the two models' errors are strongly correlated.
    """
    from scipy import stats

    from engine.measure.evaluate import _paired_difference_interval

    monkeypatch.setattr(th, "BOOTSTRAP_RESAMPLES", 20_000)
    rng = np.random.default_rng(3)
    n = 150
    if task is Task.BINARY:
        y = rng.choice(["a", "b"], size=n)
        flip = lambda v, share: np.where(rng.random(n) < share, np.where(v == "a", "b", "a"), v)  # noqa: E731
        first = flip(y, 0.15)
        second = flip(first, 0.08)  # mostly the same mistakes as the first model
        data = ((first == y).astype(float), (second == y).astype(float))

        def statistic(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
            return a.mean(axis=axis) - b.mean(axis=axis)
    else:
        y = rng.normal(size=n)
        first = y + rng.normal(scale=0.5, size=n)
        second = first + rng.normal(scale=0.2, size=n)
        data = (y, first, second)

        def statistic(t: np.ndarray, a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
            return _r2_along(t, a, axis) - _r2_along(t, b, axis)

    reference = stats.bootstrap(
        data, statistic, paired=True, vectorized=True, n_resamples=20_000,
        confidence_level=th.CONFIDENCE_LEVEL, method="percentile", random_state=11,
    )
    sd = float(reference.standard_error)
    metric = "accuracy" if task is Task.BINARY else "r2"
    low, high = _paired_difference_interval(metric, y, first, second, seed=0)
    np.testing.assert_allclose(
        [low, high], [reference.confidence_interval.low, reference.confidence_interval.high], rtol=0, atol=0.1 * sd
    )


def test_balanced_accuracy_is_resampled_within_each_class_so_no_resample_loses_one():
    """One test row of a rare class: an unstratified resample misses it about a third of the time, and its
    "balanced accuracy" is then the common class's recall alone. Two models that both score 0.500 (one says
    "rare" to every row, the other "common") got a difference interval of -100 to 0 points."""
    from engine.measure.evaluate import _paired_difference_interval, _resample_indices

    y = np.array(["common"] * 11 + ["rare"])
    always_rare, always_common = np.full(12, "rare"), np.full(12, "common")
    assert _paired_difference_interval("balanced_accuracy", y, always_rare, always_common, seed=0) == (0.0, 0.0)
    # accuracy, a share of rows, is still resampled over all rows: its difference does vary
    low, high = _paired_difference_interval("accuracy", y, always_rare, always_common, seed=0)
    assert low < high
    idx = _resample_indices(12, 0, y)
    assert idx.shape == (th.BOOTSTRAP_RESAMPLES, 12) and (idx[:, -1] == 11).all()  # the rare row in every resample
    assert (y[idx] == "common").sum(axis=1).tolist() == [11] * th.BOOTSTRAP_RESAMPLES


def test_baselines_are_the_training_majority_and_mean():
    X_train, X_test = pd.DataFrame({"x": ["p", None, "q", "r"]}), pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    classes = Split(X_train, X_test, pd.Series(["b", "a", "b", "c"]), pd.Series(["a", "b", "c", "c"]), seed=0)
    assert _baseline(Task.MULTICLASS, classes, "accuracy") == 0.25  # "b" is the training majority, one test row is "b"
    assert _baseline(Task.MULTICLASS, classes, "balanced_accuracy") == pytest.approx(1 / 3)  # one class of three found
    tie = Split(X_train, X_test, pd.Series(["b", "a", "a", "b"]), pd.Series(["a", "b", "b", "b"]), seed=0)
    assert _baseline(Task.BINARY, tie, "accuracy") == 0.25  # a tie goes to the first label in sorted order (scikit-learn's rule)
    numbers = Split(X_train, X_test, pd.Series([1.0, 2.0, 3.0, 6.0]), pd.Series([1.0, 3.0, 5.0, 7.0]), seed=0)
    # predicting the training mean 3.0: residuals 4+0+4+16 = 24, total around the test mean 4: 9+1+1+9 = 20
    assert _baseline(Task.REGRESSION, numbers, "r2") == pytest.approx(1.0 - 24.0 / 20.0)


def test_a_skewed_balance_is_judged_on_balanced_accuracy_and_a_majority_only_model_is_flagged():
    """94 % "No": the network that says "No" to every row must not look fine, or win."""
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    from engine.measure.evaluate import decide_winner, score_model, split_data, verdict_metric

    rng = np.random.default_rng(0)
    n = 2_000
    x = rng.normal(size=n)
    y = pd.Series(np.where(x > 1.55, "Yes", "No"))  # about 6 % "Yes", decided by x
    X = pd.DataFrame({"x": x})
    split = split_data(X, y, Task.BINARY, seed=0)
    assert verdict_metric(Task.BINARY, split.y_train) == "balanced_accuracy"
    assert verdict_metric(Task.BINARY, pd.Series(["a", "b", "b"])) == "accuracy"
    majority = make_pipeline(DummyClassifier(strategy="most_frequent")).fit(split.X_train, split.y_train)
    tree = make_pipeline(DecisionTreeClassifier(max_depth=2, random_state=0)).fit(split.X_train, split.y_train)
    lazy = score_model("dl", "majority", majority, split, Task.BINARY, 0.1, seed=0)
    good = score_model("ml", "tree", tree, split, Task.BINARY, 0.1, seed=0)
    assert lazy.metrics["accuracy"] > 0.9  # accuracy alone would call it excellent
    assert lazy.metric == "balanced_accuracy" and lazy.metrics["balanced_accuracy"] == pytest.approx(0.5)
    assert lazy.baseline == pytest.approx(0.5)
    assert any("predicts one class (No)" in f for f in lazy.flags)
    assert any("no better than the baseline" in f for f in lazy.flags)
    assert good.flags == [] and good.metrics["balanced_accuracy"] > 0.9
    verdict = decide_winner(Task.BINARY, split.y_test.to_numpy(), good, lazy, seed=0)
    assert verdict.metric == "balanced_accuracy" and verdict.winner == "ml"
    assert not verdict.conclusive
    low, high = verdict.interval
    assert low > 0.2  # balanced accuracy separates them clearly; accuracy differs by a few points only


def test_inner_cross_validation_sees_the_training_rows_only(monkeypatch):
    """compare's classic side chooses boosting or linear on its training rows: no test row reaches the selector."""
    from engine.measure import evaluate
    from engine.run.pipeline import compare

    frame = make_signal_table(rows=400, seed=3)
    frame.index = [f"row{i}" for i in range(len(frame))]
    seen: list[set] = []
    real = evaluate.select_family

    def spy(keys, fit, X_train, y_train, task, **kw):
        seen.append(set(X_train.index))
        return real(keys, lambda key, X, y: seen.append(set(X.index)) or fit(key, X, y), X_train, y_train, task, **kw)

    monkeypatch.setattr(evaluate, "select_family", spy)
    result = compare(frame, "target", shap_rows=5, max_seconds=60)
    test_rows = set(result.data_split.X_test.index)
    assert seen and all(not (rows & test_rows) for rows in seen)
    assert seen[0] == set(result.data_split.X_train.index)
    selection = result.to_dict()["selection"]["ml"]
    assert selection["chosen"] == result.options.ml_model and set(selection["inner_scores"]) == {"boosting", "linear"}
    assert selection["chosen"] == max(selection["inner_scores"], key=selection["inner_scores"].get)


def test_select_family_picks_the_best_mean_fold_score_and_prefers_the_default_on_a_tie():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from engine.measure.evaluate import select_family

    frame = make_signal_table(rows=300, seed=4)
    X, y = frame[["signal_a", "signal_b"]], frame["target"]
    models = {"dummy": lambda: DummyClassifier(), "logistic": lambda: LogisticRegression()}
    chosen = select_family(["dummy", "logistic"], lambda key, Xf, yf: models[key]().fit(Xf, yf), X, y, Task.BINARY,
                           folds=3, seed=0, max_rows=10_000)
    assert chosen.chosen == "logistic" and chosen.scores["logistic"] > chosen.scores["dummy"] and chosen.folds == 3
    same = select_family(["dummy", "dummy2"], lambda key, Xf, yf: DummyClassifier().fit(Xf, yf), X, y, Task.BINARY,
                         folds=3, seed=0, max_rows=10_000)
    assert same.chosen == "dummy"


def test_a_perfect_score_on_few_rows_gets_an_interval_not_a_point():
    """36 of 36 test rows right read "95% interval 1.000 to 1.000" under the percentile bootstrap, as if certain."""
    from scipy.stats import norm

    from engine.measure.evaluate import metric_interval

    y = np.array(["a"] * 24 + ["b"] * 12)
    z = norm.ppf(0.975)
    low, high = metric_interval("accuracy", y, y.copy(), seed=0)
    assert high == 1.0 and low == pytest.approx(36 / (36 + z**2))  # Wilson's lower bound at x = n: n / (n + z²)
    low, high = metric_interval("balanced_accuracy", y, y.copy(), seed=0)
    # The smaller class has 12 rows: a recall of 12 of 12 leaves real doubt (its own Wilson bound is 0.76).
    assert high == 1.0 and 0.8 < low < 0.97


def test_metric_intervals_hold_the_measured_value_and_narrow_with_more_rows():
    from scipy.stats import binomtest
    from sklearn.metrics import balanced_accuracy_score

    from engine.measure.evaluate import metric_interval

    rng = np.random.default_rng(0)
    widths = {}
    for rows in (60, 2_000):
        y = rng.choice(["a", "a", "a", "b"], size=rows)
        predicted = np.where(rng.random(rows) < 0.85, y, np.where(y == "a", "b", "a"))
        for metric, value in (("accuracy", np.mean(y == predicted)), ("balanced_accuracy", balanced_accuracy_score(y, predicted))):
            low, high = metric_interval(metric, y, predicted, seed=0)
            assert low < value < high, (metric, rows, low, value, high)
            widths[metric, rows] = high - low
        k = int(np.sum(y == predicted))
        wilson = binomtest(k, rows).proportion_ci(0.95, method="wilson")
        assert metric_interval("accuracy", y, predicted, seed=1) == pytest.approx((wilson.low, wilson.high))
    for metric in ("accuracy", "balanced_accuracy"):
        assert widths[metric, 2_000] < widths[metric, 60] / 4
