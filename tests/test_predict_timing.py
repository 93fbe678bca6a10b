"""Predict time per 1,000 rows: the median of warm calls on one fixed batch, so identical runs agree."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier

from engine.measure.evaluate import _seconds_per_1k_rows


class _SlowFirstCall:
    """A model whose first prediction pays a one-off cost and whose third is interrupted."""

    def __init__(self) -> None:
        self.calls = 0
        self.sizes: list[int] = []

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        self.sizes.append(len(X))
        time.sleep(0.3 if self.calls in (1, 3) else 0.01)
        return np.zeros(len(X))


def test_the_first_call_and_one_interrupted_call_do_not_count() -> None:
    model = _SlowFirstCall()
    seconds = _seconds_per_1k_rows(model, pd.DataFrame({"x": range(50)}), seed=0)  # type: ignore[arg-type]
    assert model.calls >= 4 and set(model.sizes) == {1_000}  # a warm-up and several timed calls, one fixed batch
    assert 0.009 <= seconds < 0.1  # the warm calls' median, not the 0.3 s ones


def test_predict_time_is_stable_across_three_identical_runs() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(2_000, 10)), columns=[f"c{i}" for i in range(10)])
    y = (X["c0"] + rng.normal(size=2_000) > 0).astype(int)
    model = LGBMClassifier(n_estimators=100, verbose=-1).fit(X, y)
    times = [_seconds_per_1k_rows(model, X.iloc[:400], seed=0) for _ in range(3)]  # type: ignore[arg-type]
    assert max(times) <= 2 * min(times), times
