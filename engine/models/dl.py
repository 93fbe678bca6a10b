"""Deep learning for tables: a PyTorch MLP on the shared torch loop.

``TorchMLPClassifier`` and ``TorchMLPRegressor`` are the MLP module on
:class:`engine.models.torch_base.TorchEstimator` with a classifier or a
regressor head. They take the numeric matrix a preprocessor makes;
``make_dl_model`` puts that preprocessor in front.
"""

from __future__ import annotations

from typing import Any

from sklearn.pipeline import Pipeline
from torch import nn

from engine.profile.features import make_preprocessor
from engine.models.torch_base import EpochCallback, LoopParameters, TorchClassifierMixin, TorchEstimator, TorchRegressorMixin
from engine.profile.profile import DatasetProfile

__all__ = ["TorchMLPClassifier", "TorchMLPRegressor", "make_dl_model", "build_mlp", "EpochCallback"]


class _TorchMLP(TorchEstimator):
    """Linear/ReLU/Dropout layers of ``hidden_sizes`` on a float feature matrix."""

    network_parameters = {"hidden_sizes": (128, 64), "dropout": 0.1}
    loop_defaults = LoopParameters()

    def _build_module(self, X: Any, n_outputs: int) -> nn.Module:
        return build_mlp(X.shape[1], n_outputs, self.hidden_sizes, self.dropout)

    @property
    def display_name(self) -> str:
        return f"PyTorch MLP ({'-'.join(str(h) for h in self.hidden_sizes)})"


class TorchMLPClassifier(TorchClassifierMixin, _TorchMLP):
    """MLP classifier: one logit for two classes, one per class otherwise."""


class TorchMLPRegressor(TorchRegressorMixin, _TorchMLP):
    """MLP regressor trained on a standardised target; outputs are in the target's units."""


def make_dl_model(
    profile: DatasetProfile, *, seed: int = 0, max_seconds: float | None = None, **params: object
) -> Pipeline:
    """An unfitted pipeline: imputed, standardised, one-hot features into the MLP.

    A classifier on skewed classes trains with balanced class weights
    (:func:`engine.profile.balance.balanced_training`), as the classic model does.
    """
    from engine.profile.balance import balanced_training

    cls = TorchMLPClassifier if profile.task.is_classification else TorchMLPRegressor
    if cls is TorchMLPClassifier:
        params.setdefault("class_weight", "balanced" if balanced_training(profile) else None)
    network = cls(random_state=seed, max_seconds=max_seconds, **params)  # type: ignore[arg-type]
    return Pipeline([("prep", make_preprocessor(profile, for_network=True)), ("model", network)])


def build_mlp(n_inputs: int, n_outputs: int, hidden_sizes: tuple[int, ...], dropout: float) -> nn.Sequential:
    """Linear/ReLU/Dropout only: every layer is one SHAP's deep explainer supports exactly."""
    layers: list[nn.Module] = []
    width = n_inputs
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
        width = hidden
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)
