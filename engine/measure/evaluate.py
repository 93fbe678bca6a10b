"""One split for both families: metrics with intervals, baselines, timings, sizes, the winner."""

from __future__ import annotations

import pickle
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from engine.common import thresholds as th
from engine.profile.balance import is_skewed
from engine.profile.profile import Task

__all__ = ["UNFAIR", "SPLIT_SEED_STRIDE", "split_seeds", "pooled_verdict", "Selection", "select_family", "corrected_resampled_ttest", "resampled_verdict", "verdict_score", "verdict_metric", "labelled_xy", "Split", "ModelResult", "Verdict", "split_data", "score_model", "metric_interval", "INTERVAL_METHODS", "decide_winner", "main_metric", "model_size_bytes"]


@dataclass
class Split:
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    seed: int

    def to_dict(self) -> dict[str, int]:
        return {"train_rows": len(self.X_train), "test_rows": len(self.X_test), "seed": self.seed}


@dataclass
class ModelResult:
    """One trained model's scores and costs on the shared test set."""

    family: str  # "ml" | "dl"
    name: str
    metrics: dict[str, float]
    interval: tuple[float, float]
    baseline: float
    train_seconds: float
    predict_seconds: float
    predict_seconds_per_1k: float
    size_bytes: int
    predictions: np.ndarray = field(repr=False)
    probabilities: np.ndarray | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    metric: str = "accuracy"  # the verdict metric that ``interval`` and ``baseline`` are in
    flags: list[str] = field(default_factory=list)  # why this model's score should not be trusted as it is

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metrics": self.metrics,
            "main_metric": self.metric,
            "main_metric_interval": list(self.interval),
            "baseline": self.baseline,
            "flags": self.flags,
            "train_seconds": self.train_seconds,
            "predict_seconds": self.predict_seconds,
            "predict_seconds_per_1k_rows": self.predict_seconds_per_1k,
            "size_bytes": self.size_bytes,
            "notes": self.notes,
        }


#: The winner of a comparison that was not a fair fight (a side cut short by the clock or starved of work).
UNFAIR = "unfair"
#: Split ``j`` of a run with seed ``s`` uses the split seed ``s + j * SPLIT_SEED_STRIDE``: runs with seeds below
#: the stride share no split, so their splits pool into one test (the seeds 0-2 used to share 8-9 of 10 splits).
SPLIT_SEED_STRIDE = 7_919


@dataclass(frozen=True)
class Verdict:
    winner: str  # "ml" | "dl" | "tie" | "unfair" (not a fair comparison: see ``fair`` and ``unfair_reason``)
    metric: str
    difference: float  # ml - dl in the main metric
    interval: tuple[float, float]  # paired bootstrap interval of the difference
    rule: str
    conclusive: bool = True  # False when either model is flagged (one class only, or no better than its baseline)
    splits: int = 1  # train/test splits the winner was decided over
    method: str = "paired bootstrap"  # or "corrected resampled t-test" (small data)
    p_value: float | None = None  # of the corrected resampled t-test; None for the bootstrap
    split_differences: tuple[float, ...] = ()  # ML - DL on each split, when there were several
    fair: bool = True  # False: a side was cut short by the clock or starved of work; no winner is named
    unfair_reason: str = ""
    split_seeds: tuple[int, ...] = ()  # the seed of each split in ``split_differences``
    train_rows: int = 0  # of each split: the corrected t-test's n_train and n_test (pooling needs them)
    test_rows: int = 0

    @property
    def counts_for_track_record(self) -> bool:
        """Whether a track record may count this verdict: only a fair fight is evidence about the advice."""
        return self.fair


def main_metric(task: Task) -> str:
    """The headline metric of a task as the JSON has always reported it (accuracy or R²)."""
    return "r2" if task is Task.REGRESSION else "accuracy"


def verdict_metric(task: Task, y_train: pd.Series) -> str:
    """The metric the winner is decided on: R², accuracy, or balanced accuracy where classes are skewed.

    With a skewed balance (largest class ≥ ``thresholds.SKEWED_CLASS_RATIO`` times
    the smallest in the training rows) a model that always predicts the majority
    scores a high accuracy; its balanced accuracy is 1 / classes, so it cannot win.
    """
    if task is Task.REGRESSION:
        return "r2"
    return "balanced_accuracy" if is_skewed(y_train.value_counts().to_dict()) else "accuracy"


def labelled_xy(frame: pd.DataFrame, target: str, features: list[str], task: Task) -> tuple[pd.DataFrame, pd.Series]:
    """The rows with a target value: their features, and the target (as text labels for classification)."""
    labelled = frame[frame[target].notna()]
    y = labelled[target]
    return labelled[features], (y.astype(str) if task.is_classification else y)


def split_data(X: pd.DataFrame, y: pd.Series, task: Task, seed: int, test_fraction: float = th.TEST_FRACTION) -> Split:
    """A seeded split, stratified by class for classification, with every class of 2+ rows on both sides."""
    stratify = y if task.is_classification else None
    n_classes = y.nunique() if task.is_classification else 0
    test_size = max(test_fraction, n_classes / len(y)) if n_classes else test_fraction
    # Positions, split as train_test_split splits the rows themselves (the same seeded draw), so the rows can be
    # swapped below whatever the frame's index holds.
    train, test = train_test_split(np.arange(len(y)), test_size=test_size, random_state=seed, stratify=stratify)
    if task.is_classification:
        _test_every_class(y.to_numpy(), train, test, seed)
    return Split(X.iloc[train], X.iloc[test], y.iloc[train], y.iloc[test], seed)


def _test_every_class(labels: np.ndarray, train: np.ndarray, test: np.ndarray, seed: int) -> None:
    """Swap rows in place so each class with 2+ training rows and none among the test rows gets one there.

    Stratified rounding gives a class whose share of the test rows is under
    about half a row no test row at all (2 rows in 60: 0.4 of the 12 test
    rows), and every metric then judges the models without it: a balanced
    accuracy of 1.0 for always saying the majority. Each such class trades
    one seeded row with the class that has the most test rows, so the sizes
    stay as stratified and no class leaves either side.
    """
    rng = np.random.default_rng(seed)
    in_test = Counter(labels[test].tolist())
    in_train = Counter(labels[train].tolist())
    for label in sorted(in_train, key=str):
        if in_train[label] < 2 or in_test[label] > 0:
            continue
        donor, most = in_test.most_common(1)[0]
        if most < 2:  # every test row is its class's only one: nothing to trade
            return
        mine = rng.choice(np.flatnonzero(labels[train] == label))
        theirs = rng.choice(np.flatnonzero(labels[test] == donor))
        train[mine], test[theirs] = test[theirs], train[mine]
        in_test[donor] -= 1
        in_test[label] = 1


def score_model(
    family: str, name: str, pipeline: Pipeline, split: Split, task: Task, train_seconds: float, seed: int,
    metric: str | None = None,
) -> ModelResult:
    """Predict the test set once, score it and measure the model's costs.

    ``metric`` (default :func:`verdict_metric`) is the one the interval and the
    baseline are given in; a model that predicts a single class, or scores at
    or below its baseline, is flagged.
    """
    metric = metric or verdict_metric(task, split.y_train)
    start = time.perf_counter()
    if task.is_classification:
        probabilities = pipeline.predict_proba(split.X_test)
        classes = pipeline.classes_
        predictions = classes[np.argmax(probabilities, axis=1)]
    else:
        probabilities = None
        predictions = pipeline.predict(split.X_test)
    predict_seconds = time.perf_counter() - start
    y_true = split.y_test.to_numpy()
    per_1k = _seconds_per_1k_rows(pipeline, split.X_test, seed)
    scores = _metrics(task, y_true, predictions, probabilities, list(pipeline.classes_) if task.is_classification else None)
    interval = metric_interval(metric, y_true, predictions, seed)
    baseline = _baseline(task, split, metric)
    flags = []
    if task.is_classification and len(np.unique(predictions)) == 1 and split.y_test.nunique() > 1:
        flags.append(f"predicts one class ({predictions[0]}) for every test row")
    if scores[metric] <= baseline + th.BASELINE_MARGIN:
        flags.append(f"scores no better than the baseline ({_METRIC_WORDS[metric]} {scores[metric]:.3f} against {baseline:.3f})")
    return ModelResult(
        family=family, name=name, metrics=scores, interval=interval,
        baseline=baseline, train_seconds=train_seconds, predict_seconds=predict_seconds,
        predict_seconds_per_1k=per_1k,
        size_bytes=model_size_bytes(pipeline), predictions=predictions, probabilities=probabilities,
        metric=metric, flags=flags,
    )


_METRIC_WORDS = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "r2": "R²"}


def decide_winner(task: Task, y_true: np.ndarray, ml: ModelResult, dl: ModelResult, seed: int, train_rows: int = 0) -> Verdict:
    """Paired bootstrap of the main-metric difference on the same test rows.

    Rule: a tie when the 95% interval of (ML - DL) contains zero, or when the
    difference is smaller than PRACTICAL_TIE_MARGIN; otherwise the higher wins.
    """
    metric = ml.metric
    difference = ml.metrics[metric] - dl.metrics[metric]
    low, high = _paired_difference_interval(metric, y_true, ml.predictions, dl.predictions, seed)
    if (low <= 0.0 <= high) or abs(difference) < th.PRACTICAL_TIE_MARGIN:
        winner = "tie"
    else:
        winner = "ml" if difference > 0 else "dl"
    rule = (
        f"tie when the {int(th.CONFIDENCE_LEVEL * 100)}% paired-bootstrap interval of the {metric} difference "
        f"{'(resampled within each class) ' if metric == 'balanced_accuracy' else ''}"
        f"contains 0 or |difference| < {th.PRACTICAL_TIE_MARGIN}"
    )
    conclusive = not (ml.flags or dl.flags)
    return Verdict(winner=winner, metric=metric, difference=difference, interval=(low, high), rule=rule, conclusive=conclusive,
                   train_rows=int(train_rows), test_rows=len(y_true))


def verdict_score(model: Any, split: Split, task: Task, metric: str) -> float:
    """``metric`` of a fitted model on ``split``'s test rows (a repeated split needs nothing else)."""
    if task.is_classification:
        predictions = np.asarray(model.classes_)[np.argmax(model.predict_proba(split.X_test), axis=1)]
    else:
        predictions = model.predict(split.X_test)
    return float(_SCORERS[metric](split.y_test.to_numpy(), predictions))


def corrected_resampled_ttest(differences: np.ndarray, n_train: int, n_test: int) -> tuple[float, tuple[float, float], float]:
    """Nadeau & Bengio's corrected resampled t-test of the mean of ``differences`` (one per random split).

    Returns (mean, confidence interval, two-sided p-value). The variance of the
    mean is (1/J + n_test/n_train) s² instead of s²/J: the splits share most
    of their training rows, so their differences are correlated.
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) < 2 or n_train < 1:
        raise ValueError("the corrected resampled t-test needs at least two splits and training rows")
    mean = float(d.mean())
    se = float(np.sqrt((1.0 / len(d) + n_test / n_train) * d.var(ddof=1)))
    if se == 0.0:
        return mean, (mean, mean), 1.0 if mean == 0.0 else 0.0
    half = float(stats.t.ppf(0.5 + th.CONFIDENCE_LEVEL / 2.0, len(d) - 1)) * se
    p_value = float(2.0 * stats.t.sf(abs(mean) / se, len(d) - 1))
    return mean, (mean - half, mean + half), p_value


def split_seeds(seed: int, splits: int) -> list[int]:
    """The split seeds of a run: its own seed first, then ``seed + j * SPLIT_SEED_STRIDE`` (disjoint across seeds)."""
    return [seed + j * SPLIT_SEED_STRIDE for j in range(splits)]


def resampled_verdict(first: Verdict, differences: list[float], n_train: int, n_test: int,
                      split_seeds: list[int] | None = None) -> Verdict:
    """The winner over several random splits (the first one's verdict gives metric and flags).

    Rule: a tie when the corrected t interval of the mean difference contains
    zero, or when the mean is smaller than PRACTICAL_TIE_MARGIN. The interval,
    the p-value and the winner come from the same test, so they agree: a
    winner is named only when p < 1 - CONFIDENCE_LEVEL and the interval lies
    on its side of zero.
    """
    mean, (low, high), p_value = corrected_resampled_ttest(np.asarray(differences), n_train, n_test)
    winner = "tie" if (low <= 0.0 <= high) or abs(mean) < th.PRACTICAL_TIE_MARGIN else ("ml" if mean > 0 else "dl")
    rule = (
        f"tie when the {int(th.CONFIDENCE_LEVEL * 100)}% interval of the mean {first.metric} difference over "
        f"{len(differences)} random 80/20 splits (corrected resampled t-test, Nadeau & Bengio 2003) contains 0 "
        f"or |mean difference| < {th.PRACTICAL_TIE_MARGIN}"
    )
    return replace(first, winner=winner, difference=mean, interval=(low, high), rule=rule, splits=len(differences),
                   method="corrected resampled t-test", p_value=p_value, split_differences=tuple(float(x) for x in differences),
                   split_seeds=tuple(int(s) for s in (split_seeds or [])), train_rows=int(n_train), test_rows=int(n_test))


def pooled_verdict(verdicts: list[Verdict]) -> Verdict:
    """One verdict from several runs (e.g. seeds) of the same data: their splits pooled into one corrected t-test.

    Every split of every run is one difference; a split seen in several runs
    (the same split seed) counts once, with the mean of its differences. The
    interval, p-value and winner are those of the one pooled test, never an
    average of per-run bounds or a median p-value. Runs judged on one split
    (bootstrap) contribute that split. A run that was not a fair fight makes
    the pooled verdict unfair too; a flagged (inconclusive) run makes it
    inconclusive. Needs at least two distinct splits in all.
    """
    if not verdicts:
        raise ValueError("no verdicts to pool")
    by_split: dict[Any, list[float]] = {}
    for index, verdict in enumerate(verdicts):
        differences = verdict.split_differences or (verdict.difference,)
        seeds = verdict.split_seeds or tuple(("run", index, j) for j in range(len(differences)))
        for split_seed, difference in zip(seeds, differences):
            by_split.setdefault(split_seed, []).append(float(difference))
    differences = [float(np.mean(values)) for values in by_split.values()]
    first = verdicts[0]
    n_train = max((v.train_rows for v in verdicts), default=0)
    n_test = max((v.test_rows for v in verdicts), default=0)
    if n_train < 1:
        raise ValueError("pooling needs each verdict's train and test rows (train_rows, test_rows)")
    pooled = resampled_verdict(first, differences, n_train, n_test,
                               split_seeds=[s for s in by_split if isinstance(s, int)] or None)
    unfair = [v for v in verdicts if not v.fair]
    if unfair:
        return replace(pooled, winner=UNFAIR, conclusive=False, fair=False, unfair_reason=unfair[0].unfair_reason)
    return replace(pooled, conclusive=all(v.conclusive for v in verdicts))


@dataclass(frozen=True)
class Selection:
    """A side's family chosen by inner cross-validation on the training rows: the choice and each candidate's mean score."""

    chosen: str
    scores: dict[str, float]
    metric: str
    folds: int
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen, "inner_scores": self.scores, "metric": self.metric, "folds": self.folds,
                "rows": self.rows, "method": "inner cross-validation on the training rows only"}


def select_family(
    keys: list[str], fit: Any, X_train: pd.DataFrame, y_train: pd.Series, task: Task, *, folds: int, seed: int,
    max_rows: int,
) -> Selection:
    """The candidate with the best mean verdict metric over ``folds`` inner folds of the *training* rows.

    ``fit(key, X, y)`` returns a fitted model. The folds are stratified for
    classification and seeded; above ``max_rows`` training rows a seeded,
    stratified subsample is used. A tie goes to the earlier key (the kind's
    default). Only the rows passed in are read: the caller passes its training
    rows, so the test rows never influence the choice.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    metric = verdict_metric(task, y_train)
    X, y = X_train, y_train
    if len(X) > max_rows:
        stratify = y if task.is_classification else None
        X, _, y, _ = train_test_split(X, y, train_size=max_rows, random_state=seed, stratify=stratify)
    n_folds = max(2, folds)
    if task.is_classification:
        n_folds = min(n_folds, int(y.value_counts().min()))
    if n_folds < 2:  # a class with one row: no stratified fold holds it; the default family stays
        return Selection(chosen=keys[0], scores={}, metric=metric, folds=0, rows=len(X))
    splitter = (StratifiedKFold(n_folds, shuffle=True, random_state=seed) if task.is_classification
                else KFold(n_folds, shuffle=True, random_state=seed))
    scores: dict[str, float] = {}
    for key in keys:
        fold_scores = []
        for train_index, valid_index in splitter.split(X, y if task.is_classification else None):
            inner = Split(X.iloc[train_index], X.iloc[valid_index], y.iloc[train_index], y.iloc[valid_index], seed)
            try:
                model = fit(key, inner.X_train, inner.y_train)
                fold_scores.append(verdict_score(model, inner, task, metric))
            except (ValueError, RuntimeError):  # a candidate that cannot fit a fold loses the choice, not the run
                fold_scores.append(float("-inf"))
        scores[key] = float(np.mean(fold_scores))
    chosen = max(keys, key=lambda k: (scores[k], -keys.index(k)))
    return Selection(chosen=chosen, scores=scores, metric=metric, folds=n_folds, rows=len(X))


def model_size_bytes(pipeline: Pipeline) -> int:
    """Serialised size of the fitted pipeline (the network counted as its weights)."""
    return len(pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL))


# --- helpers -------------------------------------------------------------------


#: Timed predictions of the fixed 1,000-row batch (after one untimed warm-up call); their median is reported.
PREDICT_TIMING_CALLS = 5
#: Stop timing early once this many seconds were spent (a slow model still gets at least three timed calls).
PREDICT_TIMING_SECONDS = 0.5
#: Most cells (rows x columns) of the timed prediction batch, and its fewest rows (see _seconds_per_1k_rows).
PREDICT_TIMING_CELLS = 2_000_000
PREDICT_TIMING_MIN_ROWS = 100


def _seconds_per_1k_rows(pipeline: Pipeline, X_test: pd.DataFrame, seed: int) -> float:
    """The median time of several warm predictions of the same 1,000 test rows (drawn with replacement if fewer).

    One untimed call first: a first call pays one-off costs (lazy imports,
    thread pools, allocator growth) that made LightGBM read 22, 375 and 37 ms
    on identical runs. The median of the timed calls ignores a call the
    machine's other work interrupted. Scaling the test-set time instead would
    let fixed per-call costs of a small test set dominate (a 114-row set made
    the network look 30x slower).
    """
    # A wide table is timed on fewer rows (at most PREDICT_TIMING_CELLS cells, 200 rows at 10,000
    # columns) and scaled to 1,000: per-call fixed costs are then negligible against the row costs,
    # and four calls on 1,000 x 10,000 cells took 20 s under load.
    size = int(min(1_000, max(PREDICT_TIMING_MIN_ROWS, PREDICT_TIMING_CELLS // max(X_test.shape[1], 1))))
    rows = np.random.default_rng(seed).choice(len(X_test), size=size, replace=len(X_test) < size)
    batch = X_test.iloc[rows]
    predict = pipeline.predict_proba if hasattr(pipeline, "predict_proba") else pipeline.predict
    predict(batch)  # warm-up, untimed
    times: list[float] = []
    spent = 0.0
    while len(times) < PREDICT_TIMING_CALLS and (len(times) < 3 or spent < PREDICT_TIMING_SECONDS):
        start = time.perf_counter()
        predict(batch)
        times.append(time.perf_counter() - start)
        spent += times[-1]
    median = float(np.median(times))
    return median if size == 1_000 else median * 1_000 / size


def _metrics(task: Task, y_true: np.ndarray, predictions: np.ndarray, probabilities: np.ndarray | None, classes: list | None) -> dict[str, float]:
    if task is Task.REGRESSION:
        return {
            "r2": float(metrics.r2_score(y_true, predictions)),
            "mae": float(metrics.mean_absolute_error(y_true, predictions)),
            "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, predictions))),
        }
    if probabilities is None or classes is None:
        raise ValueError("classification metrics need probabilities and classes")
    scores = {
        "accuracy": float(metrics.accuracy_score(y_true, predictions)),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, predictions)),
        "f1": float(metrics.f1_score(y_true, predictions, average="binary" if task is Task.BINARY else "macro", pos_label=classes[1] if task is Task.BINARY else 1)),
    }
    present = set(np.unique(y_true))
    if task is Task.BINARY and len(present) == 2:
        scores["roc_auc"] = float(metrics.roc_auc_score(y_true == classes[1], probabilities[:, 1]))
    elif task is Task.MULTICLASS and present == set(classes):
        scores["roc_auc"] = float(metrics.roc_auc_score(y_true, probabilities, multi_class="ovr", labels=classes))
    scores["log_loss"] = float(metrics.log_loss(y_true, probabilities, labels=classes))
    return scores


def _baseline(task: Task, split: Split, metric: str) -> float:
    """``metric`` of a trivial model fitted on the training split: the majority class, or the mean (R^2 <= 0)."""
    dummy = DummyClassifier(strategy="most_frequent") if task.is_classification else DummyRegressor(strategy="mean")
    dummy.fit(split.X_train, split.y_train)
    predicted = dummy.predict(split.X_test)
    return float(_SCORERS[metric](split.y_test.to_numpy(), predicted))


_SCORERS = {"accuracy": metrics.accuracy_score, "balanced_accuracy": metrics.balanced_accuracy_score, "r2": metrics.r2_score}


def _resample_indices(n: int, seed: int, classes: np.ndarray | None = None) -> np.ndarray:
    """Bootstrap resamples of ``n`` rows, one per row of the result; with ``classes``, each class within itself.

    A stratified resample keeps every class at its test count, as the
    stratified split drew them: a mean of per-class recalls then never loses a
    class. Unstratified, a class of one test row is missing from about a third
    of the resamples, whose "balanced accuracy" is then the other classes'
    recall alone: two models tied at 0.500 got a difference interval of −100
    to 0 points.
    """
    rng = np.random.default_rng(seed)
    if classes is None:
        return rng.integers(0, n, size=(th.BOOTSTRAP_RESAMPLES, n))
    _, codes = np.unique(classes, return_inverse=True)
    parts = [rows[rng.integers(0, len(rows), size=(th.BOOTSTRAP_RESAMPLES, len(rows)))]
             for rows in (np.flatnonzero(codes == code) for code in range(int(codes.max()) + 1))]
    return np.hstack(parts)


def _resampled_metric(metric: str, y_true: np.ndarray, predictions: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``metric`` on each bootstrap resample (rows of ``idx``), vectorised."""
    if metric == "accuracy":
        return (y_true == predictions)[idx].mean(axis=1)
    if metric == "balanced_accuracy":
        correct = y_true == predictions
        recalls = []
        for label in np.unique(y_true):
            in_class = (y_true == label)[idx]
            with np.errstate(divide="ignore", invalid="ignore"):
                recalls.append((correct[idx] & in_class).sum(axis=1) / in_class.sum(axis=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a resample missing a class leaves it out
            return np.nanmean(np.vstack(recalls), axis=0)
    y = y_true.astype(float)[idx]
    residual = ((y - predictions.astype(float)[idx]) ** 2).sum(axis=1)
    total = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / total, 0.0)


#: Draws of the balanced accuracy's posterior (:func:`metric_interval`). Measured over 20 seeds, the bounds moved by
#: at most 0.006 on 36 test rows and 0.001 on 600; 20,000 rows of 40 classes take 51 ms (the bootstrap took 1.1 s).
POSTERIOR_DRAWS = 20_000
#: How :func:`metric_interval` bounds each verdict metric, in words for the pages.
INTERVAL_METHODS = {"accuracy": "the Wilson score interval of the test rows it got right",
                    "balanced_accuracy": "the posterior of the mean recall per class (Brodersen et al. 2010)",
                    "r2": "bootstrap over the test rows"}


def metric_interval(metric: str, y_true: np.ndarray, predictions: np.ndarray, seed: int) -> tuple[float, float]:
    """The 95% interval of one model's ``metric`` over its test rows, by a method that still holds at a perfect score.

    A percentile bootstrap collapses to one point when every test row is
    right: 36 of 36 read "95% interval 1.000 to 1.000", as if a perfect score
    on 36 rows were certain. Accuracy, a proportion of rows: the Wilson score
    interval of the correct count (36 of 36: 0.904 to 1.000). Balanced
    accuracy, a mean of per-class recalls: the posterior of that mean under
    a uniform prior on each recall (Brodersen et al. 2010, "The balanced
    accuracy and its posterior distribution"), by seeded Monte Carlo, its
    bounds stretched to take in the measured value where the prior's pull
    leaves it outside (a recall of 1 has a posterior below 1, as Brown, Cai
    and DasGupta 2001 note for the Jeffreys interval at x = n). R²: the
    percentile bootstrap.
    """
    if metric not in ("accuracy", "balanced_accuracy"):
        return _percentiles(_resampled_metric(metric, y_true, predictions, _resample_indices(len(y_true), seed)))
    from scipy.stats import binomtest

    correct = np.asarray(y_true == predictions)
    if metric == "accuracy":
        bounds = binomtest(int(correct.sum()), len(correct)).proportion_ci(th.CONFIDENCE_LEVEL, method="wilson")
        return float(bounds.low), float(bounds.high)
    _, codes = np.unique(y_true, return_inverse=True)
    rows = np.bincount(codes)
    right = np.bincount(codes, weights=correct)
    draws = np.random.default_rng(seed).beta(right[:, None] + 1.0, (rows - right)[:, None] + 1.0,
                                             size=(len(rows), POSTERIOR_DRAWS)).mean(axis=0)
    low, high = _percentiles(draws)
    measured = float(np.mean(right / rows))
    return min(low, measured), max(high, measured)


def _paired_difference_interval(metric: str, y_true: np.ndarray, first: np.ndarray, second: np.ndarray, seed: int) -> tuple[float, float]:
    """Percentile interval of (first - second) over the same resampled rows (within each class for balanced accuracy).

    Equals ``scipy.stats.bootstrap(..., paired=True, method="percentile")`` within
    Monte Carlo error (tests/test_evaluate.py) and is about 3x faster on 20k rows.
    """
    idx = _resample_indices(len(y_true), seed, y_true if metric == "balanced_accuracy" else None)
    return _percentiles(_resampled_metric(metric, y_true, first, idx) - _resampled_metric(metric, y_true, second, idx))


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    tail = (1.0 - th.CONFIDENCE_LEVEL) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)
