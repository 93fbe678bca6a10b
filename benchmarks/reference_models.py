"""Reference models on the product's own split: a default LightGBM and scikit-learn's default MLP.

Same rows, same split (``engine.measure.evaluate.split_data`` with the same seed) and
the same encoding as each side of the product (the trees' preprocessor for
LightGBM, the network's for the MLP), so the differences are the models'.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ReferenceScores", "reference_scores"]


@dataclass
class ReferenceScores:
    metric: str
    default_lightgbm: float
    sklearn_mlp: float
    seconds: float


def reference_scores(csv: Path, seed: int = 0) -> ReferenceScores:
    import lightgbm
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from engine.io.data import read_csv_path
    from engine.measure.evaluate import labelled_xy, main_metric, split_data
    from engine.profile.features import make_preprocessor
    from engine.advice.recommend import advise

    start = time.perf_counter()
    frame = read_csv_path(csv)
    profile = advise(frame).profile
    split = split_data(*labelled_xy(profile.labelled(frame), profile.target, profile.feature_columns, profile.task), profile.task, seed)
    metric = main_metric(profile.task)
    score = accuracy_score if profile.task.is_classification else r2_score

    tree_prep = make_preprocessor(profile, for_network=False).fit(split.X_train)
    tree = (lightgbm.LGBMClassifier if profile.task.is_classification else lightgbm.LGBMRegressor)(random_state=seed, verbosity=-1)
    tree.fit(np.asarray(tree_prep.transform(split.X_train), float), split.y_train.to_numpy())
    tree_score = float(score(split.y_test.to_numpy(), tree.predict(np.asarray(tree_prep.transform(split.X_test), float))))

    net_prep = make_preprocessor(profile, for_network=True).fit(split.X_train)
    mlp = (MLPClassifier if profile.task.is_classification else MLPRegressor)(random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(np.asarray(net_prep.transform(split.X_train), float), split.y_train.to_numpy())
    mlp_score = float(score(split.y_test.to_numpy(), mlp.predict(np.asarray(net_prep.transform(split.X_test), float))))
    return ReferenceScores(metric=metric, default_lightgbm=tree_score, sklearn_mlp=mlp_score, seconds=time.perf_counter() - start)
