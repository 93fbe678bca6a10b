"""Whether the data is skewed: the class balance both families train for and the verdict is judged on.

A property of the data read by two stages that must agree: the models weight
their classes (:func:`balanced_training`) exactly where the measurement judges
on balanced accuracy (:func:`engine.measure.evaluate.verdict_metric`, from
:func:`is_skewed`). It lives with the profile, below both, so the models never
import the measurement.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.common import thresholds as th

__all__ = ["balanced_training", "is_skewed", "is_skewed_target"]


def balanced_training(profile: Any) -> bool:
    """Whether both families train with balanced class weights: where the verdict is balanced accuracy.

    A classification whose classes are skewed (:func:`is_skewed` on the
    profile's class shares, the same ratio :func:`engine.measure.evaluate.verdict_metric` reads from
    the stratified training rows) is judged on balanced accuracy; a model
    trained on the plain loss there optimises accuracy instead, and a network
    measured on the corpus predicted the majority class only (caravan: balanced
    accuracy 0.500). Weighting each class by ``n / (classes × n_class)`` makes
    each family optimise what it is judged on, and both are weighted alike.
    """
    return bool(profile.task.is_classification and is_skewed(profile.class_balance))


def is_skewed(class_counts: dict[Any, float]) -> bool:
    """The largest class holds at least ``thresholds.SKEWED_CLASS_RATIO`` times the smallest (counts or shares)."""
    if len(class_counts) < 2:
        return False
    return max(class_counts.values()) >= th.SKEWED_CLASS_RATIO * min(class_counts.values())


def is_skewed_target(values: Any) -> bool:
    """A numeric target with |skewness| above ``thresholds.SKEWED_TARGET_SKEWNESS`` (a long tail on one side)."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    if len(numbers) < 3 or numbers.nunique() < 3:
        return False
    return bool(abs(float(numbers.skew())) > th.SKEWED_TARGET_SKEWNESS)
