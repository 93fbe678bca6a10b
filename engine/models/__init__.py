"""The two model families, each a scikit-learn estimator behind the same interface.

``ml`` builds scikit-learn pipelines (gradient-boosted trees, or a linear model
as the transparent reference); ``dl`` holds the PyTorch network estimators.
Evaluation and explanation never ask which family a model is.
"""

from engine.models.ml import make_ml_model
from engine.models.dl import TorchMLPClassifier, TorchMLPRegressor, make_dl_model

__all__ = ["make_ml_model", "make_dl_model", "TorchMLPClassifier", "TorchMLPRegressor"]
