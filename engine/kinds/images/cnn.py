"""Deep learning for images: a small PyTorch CNN on the shared torch loop.

Two or three convolution blocks (Conv2d → ReLU → MaxPool2d), a hidden linear
layer and a linear head, built from ``nn`` modules only: SHAP's deep explainer
is additive on such a network (functional ``F.relu`` / ``F.max_pool2d`` are
invisible to it and break additivity). Inputs are pixel rows in channel-last
order (:class:`engine.kinds.images.pixels.PixelLayout`); :meth:`_TorchCNN._prepare` scales
them to 0–1 and reshapes them to (rows, channels, side, side). Training may
shift images by a pixel or two (light augmentation); the device is CUDA when
present (see :mod:`engine.models.torch_base`).

Up to 60 epochs with 10 of patience: at 15 epochs (and 4 of patience) the CNN
stopped at its epoch cap on scikit-learn's 8×8 digits, under-trained, and lost
to LightGBM 0.925 against 0.967 accuracy; 60 epochs reach 0.992 in about 20 s on
one CPU thread (benchmarks/corpus/fair_fight.py). Larger image sets are bounded by
the time budget, as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from engine.models.torch_base import LoopParameters, TorchClassifierMixin, TorchEstimator, TorchRegressorMixin

__all__ = ["TorchCNNClassifier", "TorchCNNRegressor", "build_cnn"]


class _TorchCNN(TorchEstimator):
    """A CNN on square images given as flat pixel rows (channel-last); see :func:`build_cnn`."""

    network_parameters = {"side": 28, "channels": 1, "filters": (16, 32), "hidden": 64, "dropout": 0.25, "shift": 1}
    loop_defaults = LoopParameters(
        learning_rate=3e-3, batch_size=128, max_epochs=60, patience=10, validation_fraction=0.1, n_threads=2,
    )

    def _prepare(self, X: Any, *, reset: bool) -> np.ndarray:
        """Pixel rows as float32 images (rows, channels, side, side) in 0–1; missing pixels are 0.

        ``side=None`` takes the smallest square that holds the columns, the rest zero (any feature
        matrix is then an image: scikit-learn's estimator checks feed such matrices).
        """
        if not reset:
            check_is_fitted(self, "pixel_scale_")
        values = validate_data(self, X, dtype=np.float32, reset=reset, ensure_all_finite="allow-nan")
        width = values.shape[1]
        if reset:
            side = self.side or int(np.ceil(np.sqrt(width / self.channels)))
            if self.side is not None and width != side * side * self.channels:
                raise ValueError(f"expected {side * side * self.channels} pixel columns for {side}×{side}×{self.channels} "
                                 f"images, got {width}")
            self.side_ = side
            top = float(np.nanmax(values, initial=0.0))
            self.pixel_scale_ = 1.0 if top <= 1.0 else (16.0 if top <= 16.0 else 255.0 if top <= 255.0 else top)
        values = np.nan_to_num(values, nan=0.0)
        padding = self.side_ * self.side_ * self.channels - width
        if padding:
            values = np.hstack([values, np.zeros((len(values), padding), dtype=np.float32)])
        images = values.reshape(len(values), self.side_, self.side_, self.channels) / self.pixel_scale_
        return np.ascontiguousarray(images.transpose(0, 3, 1, 2))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing pixel is a black one
        return tags

    def _build_module(self, X: Any, n_outputs: int) -> nn.Module:
        return build_cnn(self.channels, self.side_, n_outputs, self.filters, self.hidden, self.dropout)

    def _augment(self, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Shift each image by up to ``shift`` pixels in each direction, filling with zeros."""
        k = int(self.shift)
        if k <= 0:
            return batch
        n, _, h, w = batch.shape
        padded = nn.functional.pad(batch, (k, k, k, k))
        dy = torch.randint(0, 2 * k + 1, (n,), generator=generator)
        dx = torch.randint(0, 2 * k + 1, (n,), generator=generator)
        rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None].expand(n, batch.shape[1], h, w + 2 * k)
        shifted = padded.gather(2, rows)
        cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :].expand(n, batch.shape[1], h, w)
        return shifted.gather(3, cols)

    @property
    def display_name(self) -> str:
        blocks = "-".join(str(f) for f in self.filters)
        side = getattr(self, "side_", self.side)
        return f"PyTorch CNN ({len(self.filters)} conv blocks {blocks}, {side}×{side})"


class TorchCNNClassifier(TorchClassifierMixin, _TorchCNN):
    """CNN classifier: one logit for two classes, one per class otherwise."""


class TorchCNNRegressor(TorchRegressorMixin, _TorchCNN):
    """CNN regressor trained on a standardised target; outputs are in the target's units."""


def build_cnn(
    channels: int, side: int, n_outputs: int, filters: tuple[int, ...] = (16, 32), hidden: int = 64, dropout: float = 0.25
) -> nn.Sequential:
    """Conv2d/ReLU/MaxPool2d blocks (pooling while the side allows), Flatten, Linear/ReLU/Dropout, Linear.

    ``nn`` modules only, so SHAP's deep explainer sees (and is additive on) every operation.
    """
    layers: list[nn.Module] = []
    width, size = channels, side
    for out in filters:
        layers += [nn.Conv2d(width, out, kernel_size=3, padding=1), nn.ReLU()]
        if size >= 4:
            layers.append(nn.MaxPool2d(2))
            size //= 2
        width = out
    layers += [nn.Flatten(), nn.Linear(width * size * size, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_outputs)]
    return nn.Sequential(*layers)
