"""Seeded generators whose winner is known by construction (the corpus's synthetic families).

- ``smooth``: a sum of sines of random oblique projections of Gaussian features.
  Axis-aligned splits approximate an oblique smooth surface with many small
  steps, a network fits it directly; Grinsztajn et al. (NeurIPS 2022, §5)
  show trees lose their edge exactly when the target is smooth and rotated.
- ``classification``: ``make_classification`` clusters on hypercube vertices
  with linear mixing, the shape of issue 12's 1M x 20 measurement.
- ``steps``: an irregular step function of a few axis-aligned features plus
  uninformative ones: the "irregular targets" and "uninformative features"
  where Grinsztajn et al. find trees ahead.
- ``moving_objects``: a cross or a ring drawn anywhere in a 16x16 frame with
  noise: which pixel is lit tells little, the shape tells all, so a
  convolutional network (translation-equivariant) should beat pixel splits.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

__all__ = ["FAMILIES", "generate"]


def smooth(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 16))
    W = rng.normal(size=(16, 6)) / 4.0
    Z = X @ W
    y = np.sin(2.0 * Z).sum(axis=1) + 0.5 * Z[:, 0] * Z[:, 1] + rng.normal(scale=0.1, size=rows)
    frame = pd.DataFrame(X.round(4), columns=[f"x{i}" for i in range(16)])
    frame["y"] = y.round(4)
    return frame


def classification(rows: int, seed: int) -> pd.DataFrame:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=rows, n_features=20, n_informative=12, n_redundant=4,
                               n_clusters_per_class=4, class_sep=1.0, flip_y=0.01, random_state=seed)
    frame = pd.DataFrame(X.round(4), columns=[f"f{i}" for i in range(20)])
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame


def steps(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(rows, 12))
    levels = rng.normal(size=(4, 7))
    cuts = np.sort(rng.uniform(size=(4, 6)), axis=1)
    y = np.zeros(rows)
    for j in range(4):
        y += levels[j, np.searchsorted(cuts[j], X[:, j])]
    y += 1.5 * ((X[:, 0] > 0.5) & (X[:, 1] < 0.3)) + rng.normal(scale=0.1, size=rows)
    frame = pd.DataFrame(X.round(4), columns=[f"x{i}" for i in range(12)])
    frame["y"] = y.round(4)
    return frame


def moving_objects(rows: int, seed: int, side: int = 16) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 0.35, size=(rows, side, side))
    labels = rng.integers(0, 2, size=rows)
    for i in range(rows):
        top, left = rng.integers(0, side - 5, size=2)
        patch = np.zeros((5, 5))
        if labels[i] == 0:
            patch[2, :] = patch[:, 2] = 1.0  # a cross
        else:
            patch[0, :] = patch[-1, :] = patch[:, 0] = patch[:, -1] = 1.0  # a ring
        window = images[i, top:top + 5, left:left + 5]
        images[i, top:top + 5, left:left + 5] = np.maximum(window, patch * rng.uniform(0.6, 1.0))
    frame = pd.DataFrame((images.reshape(rows, -1) * 255).round().astype(np.uint8),
                         columns=[f"pixel{i}" for i in range(side * side)])
    frame["label"] = np.where(labels == 0, "cross", "ring")
    return frame


FAMILIES: dict[str, Callable[[int, int], pd.DataFrame]] = {
    "smooth": smooth, "classification": classification, "steps": steps, "moving_objects": moving_objects,
}


def generate(family: str, rows: int, seed: int) -> pd.DataFrame:
    """A seeded frame of ``family``; unknown families are a ``ValueError`` naming the known ones."""
    if family not in FAMILIES:
        raise ValueError(f"unknown synthetic family {family!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[family](rows, seed)
