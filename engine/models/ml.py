"""Classic ML: a scikit-learn Pipeline of preprocessing into trees or a linear model."""

from __future__ import annotations

import time
from typing import Any, Callable

import lightgbm
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from engine.profile.features import make_preprocessor
from engine.profile.profile import DatasetProfile

__all__ = ["make_ml_model", "time_budget_callback", "fit_boosting_with_clock", "ML_KINDS"]

ML_KINDS = ("boosting", "linear")


def make_ml_model(profile: DatasetProfile, *, kind: str = "boosting", seed: int = 0, n_jobs: int = 1) -> Pipeline:
    """An unfitted pipeline for ``profile``'s task.

    ``boosting``: LightGBM (its tree explainer is exact and fast, and it treats
    missing values natively). ``linear``: logistic or ridge regression on
    imputed, standardised features, the most transparent reference.

    A classifier on skewed classes weights them "balanced"
    (:func:`engine.profile.balance.balanced_training`), as the network does: both are
    judged on balanced accuracy there.

    ``n_jobs`` defaults to one thread: with another process on this 2-core
    machine, two OpenMP threads made a 20k-row fit 4-12x slower (2.1 s vs
    8.6-25.7 s), and a hosted dashboard always shares its cores.
    """
    from engine.profile.balance import balanced_training

    class_weight = "balanced" if balanced_training(profile) else None
    if kind == "boosting":
        params = dict(
            n_estimators=200, learning_rate=0.05, num_leaves=31, min_child_samples=20,
            subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
            random_state=seed, n_jobs=n_jobs, deterministic=True, force_row_wise=True, verbosity=-1,
        )
        estimator = (
            lightgbm.LGBMClassifier(**params, class_weight=class_weight) if profile.task.is_classification
            else lightgbm.LGBMRegressor(**params)
        )
        return Pipeline([("prep", make_preprocessor(profile, for_network=False)), ("model", estimator)])
    if kind == "linear":
        linear = (LogisticRegression(max_iter=2_000, class_weight=class_weight) if profile.task.is_classification
                  else Ridge(alpha=1.0))
        return Pipeline([("prep", make_preprocessor(profile, for_network=True)), ("model", linear)])
    raise ValueError(f"unknown ML model kind {kind!r}; choose one of {ML_KINDS}")


def time_budget_callback(max_seconds: float, on_iteration: Callable[[int, int], None] | None = None) -> Callable:
    """A LightGBM callback that stops boosting once ``max_seconds`` have passed.

    The callback's ``stopped_by_clock`` says whether it was the clock that stopped: LightGBM also ends early by
    itself when no leaf can be split any more (a few dozen rows), and that is convergence, not a cut.
    """
    start = time.perf_counter()

    def _callback(env: lightgbm.callback.CallbackEnv) -> None:
        if on_iteration is not None:
            on_iteration(env.iteration + 1, env.end_iteration)
        if time.perf_counter() - start > max_seconds:
            _callback.stopped_by_clock = True  # type: ignore[attr-defined]
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

    _callback.order = 30  # type: ignore[attr-defined]
    _callback.stopped_by_clock = False  # type: ignore[attr-defined]
    return _callback


def fit_boosting_with_clock(model: Any, X: Any, y: Any, max_seconds: float,
                            on_iteration: Callable[[int, int], None] | None = None) -> bool:
    """Fit a boosting pipeline (last step ``model``) under the clock; True when the clock stopped it.

    The fitted booster carries the answer as ``stopped_by_clock_``, which the work accounting reads
    (:func:`engine.measure.work.boosting_work`).
    """
    callback = time_budget_callback(max_seconds, on_iteration)
    model.fit(X, y, model__callbacks=[callback])
    model[-1].stopped_by_clock_ = bool(callback.stopped_by_clock)  # type: ignore[attr-defined]
    return model[-1].stopped_by_clock_
