"""Deep learning: a PyTorch MLP behind the scikit-learn estimator contract.

``TorchMLPClassifier`` and ``TorchMLPRegressor`` share one base class (as in
skorch): ``__init__`` stores hyperparameters, ``fit`` returns ``self`` and
learned state ends in ``_``. They take the numeric matrix a preprocessor
makes; ``make_dl_model`` puts that preprocessor in front.
"""

from __future__ import annotations

import contextlib
import copy
import io
import time
from typing import Callable, Iterator

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from torch import nn

from engine import thresholds as th
from engine.features import make_preprocessor
from engine.profile import DatasetProfile

__all__ = ["TorchMLPClassifier", "TorchMLPRegressor", "make_dl_model", "EpochCallback"]

#: Called after every epoch with (epoch, max_epochs, validation_loss).
EpochCallback = Callable[[int, int, float], None]


class _TorchMLPBase(BaseEstimator):
    """Shared training loop: AdamW, mini-batches, early stopping on a validation split.

    ``batch_size`` and ``learning_rate`` left as None are chosen from the
    number of training rows (:func:`_auto_batch_size`, :func:`_auto_learning_rate`);
    the values used are kept in ``batch_size_`` and ``learning_rate_``.
    """

    def __init__(
        self,
        hidden_sizes: tuple[int, ...] = (128, 64),
        dropout: float = 0.1,
        learning_rate: float | None = None,
        weight_decay: float = 1e-4,
        batch_size: int | None = None,
        max_epochs: int = 200,
        patience: int = 12,
        validation_fraction: float = 0.15,
        max_seconds: float | None = None,
        random_state: int = 0,
        device: str = "auto",
        n_threads: int | None = 1,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.max_seconds = max_seconds
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads

    # -- subclasses provide the target encoding and the loss ----------------
    def _encode_target(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        raise NotImplementedError

    def _loss(self) -> nn.Module:
        raise NotImplementedError

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        return None

    # -- training ----------------------------------------------------------
    def fit(self, X: np.ndarray, y: np.ndarray, on_epoch: EpochCallback | None = None) -> "_TorchMLPBase":
        with _torch_threads(self.n_threads):
            return self._fit(X, y, on_epoch)

    def _fit(self, X: np.ndarray, y: np.ndarray, on_epoch: EpochCallback | None) -> "_TorchMLPBase":
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError("X must be 2-D with one row per target value")
        torch.manual_seed(self.random_state)
        device = _resolve_device(self.device)
        target, n_outputs = self._encode_target(y)
        self.n_features_in_ = X.shape[1]
        module = _build_mlp(X.shape[1], n_outputs, self.hidden_sizes, self.dropout).to(device)

        indices = np.arange(len(X))
        train_idx, val_idx = train_test_split(
            indices, test_size=self.validation_fraction, random_state=self.random_state,
            stratify=self._stratify(y),
        )
        X_all = torch.from_numpy(X).to(device)
        target = target.to(device)
        X_train, y_train = X_all[train_idx], target[train_idx]
        X_val, y_val = X_all[val_idx], target[val_idx]

        self.batch_size_ = batch_size = self.batch_size or _auto_batch_size(len(X))
        self.learning_rate_ = self.learning_rate or _auto_learning_rate(len(X))
        optimiser = torch.optim.AdamW(module.parameters(), lr=self.learning_rate_, weight_decay=self.weight_decay)
        loss_fn = self._loss()
        generator = torch.Generator().manual_seed(self.random_state)
        start = time.perf_counter()
        best_loss, best_state, since_best = float("inf"), copy.deepcopy(module.state_dict()), 0
        self.n_epochs_ = 0
        self.stopped_by_ = "max_epochs"
        for epoch in range(1, self.max_epochs + 1):
            module.train()
            order = torch.randperm(len(train_idx), generator=generator).to(device)
            for batch in order.split(batch_size):
                optimiser.zero_grad(set_to_none=True)
                loss = loss_fn(module(X_train[batch]), y_train[batch])
                loss.backward()
                optimiser.step()
            module.eval()
            with torch.no_grad():
                val_loss = float(loss_fn(module(X_val), y_val))
            self.n_epochs_ = epoch
            if on_epoch is not None:
                on_epoch(epoch, self.max_epochs, val_loss)
            if val_loss < best_loss - 1e-6:
                best_loss, best_state, since_best = val_loss, copy.deepcopy(module.state_dict()), 0
            else:
                since_best += 1
            if since_best >= self.patience:
                self.stopped_by_ = "early_stopping"
                break
            if self.max_seconds is not None and time.perf_counter() - start > self.max_seconds:
                self.stopped_by_ = "time_budget"
                break
        module.load_state_dict(best_state)
        self.module_ = module.to("cpu").eval()
        self.best_validation_loss_ = best_loss
        return self

    def _raw_output(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "module_")
        with torch.no_grad():
            return self.module_(torch.from_numpy(np.asarray(X, dtype=np.float32))).numpy()

    def explain_module(self) -> nn.Module:
        """The network as SHAP's deep explainer should see it: float32 in, raw outputs out."""
        check_is_fitted(self, "module_")
        return self.module_

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "module_")

    def state_dict_bytes(self) -> bytes:
        """Weights only, as ``torch.save`` writes them (load with ``weights_only=True``)."""
        check_is_fitted(self, "module_")
        buffer = io.BytesIO()
        torch.save(self.module_.state_dict(), buffer)
        return buffer.getvalue()


class TorchMLPClassifier(ClassifierMixin, _TorchMLPBase):
    """MLP classifier: one logit for two classes, one per class otherwise."""

    def _encode_target(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("classification needs at least two classes")
        if len(self.classes_) == 2:
            return torch.from_numpy(codes.astype(np.float32)).unsqueeze(1), 1
        return torch.from_numpy(codes.astype(np.int64)), len(self.classes_)

    def _loss(self) -> nn.Module:
        return nn.BCEWithLogitsLoss() if len(self.classes_) == 2 else nn.CrossEntropyLoss()

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        _, counts = np.unique(y, return_counts=True)
        return y if counts.min() >= 2 else None

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits: log-odds of ``classes_[1]`` for two classes, else one column per class."""
        raw = self._raw_output(X)
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        logits = torch.from_numpy(self._raw_output(X))
        if logits.shape[1] == 1:
            positive = torch.sigmoid(logits[:, 0]).numpy()
            return np.column_stack([1.0 - positive, positive])
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X: np.ndarray) -> np.ndarray:
        probabilities = self.predict_proba(X)  # raises NotFittedError before classes_ is read
        return self.classes_[np.argmax(probabilities, axis=1)]


class TorchMLPRegressor(RegressorMixin, _TorchMLPBase):
    """MLP regressor trained on a standardised target; outputs are in the target's units."""

    def _encode_target(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        y = y.astype(np.float64)
        self.target_mean_ = float(y.mean())
        self.target_scale_ = float(y.std()) or 1.0
        return torch.from_numpy(((y - self.target_mean_) / self.target_scale_).astype(np.float32)).unsqueeze(1), 1

    def _loss(self) -> nn.Module:
        return nn.MSELoss()

    def fit(self, X: np.ndarray, y: np.ndarray, on_epoch: EpochCallback | None = None) -> "TorchMLPRegressor":
        super().fit(X, y, on_epoch=on_epoch)
        # Fold the target scaling into a last linear layer so the deep explainer
        # explains predictions in the target's own units.
        rescale = nn.Linear(1, 1)
        with torch.no_grad():
            rescale.weight.fill_(self.target_scale_)
            rescale.bias.fill_(self.target_mean_)
        self.module_ = nn.Sequential(*self.module_, rescale).eval()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._raw_output(X)[:, 0].astype(np.float64)


def make_dl_model(
    profile: DatasetProfile, *, seed: int = 0, max_seconds: float | None = None, **params: object
) -> Pipeline:
    """An unfitted pipeline: imputed, standardised, one-hot features into the MLP."""
    cls = TorchMLPClassifier if profile.task.is_classification else TorchMLPRegressor
    network = cls(random_state=seed, max_seconds=max_seconds, **params)  # type: ignore[arg-type]
    return Pipeline([("prep", make_preprocessor(profile, for_network=True)), ("model", network)])


def _build_mlp(n_inputs: int, n_outputs: int, hidden_sizes: tuple[int, ...], dropout: float) -> nn.Sequential:
    # Linear/ReLU/Dropout only: every layer is one SHAP's deep explainer supports exactly.
    layers: list[nn.Module] = []
    width = n_inputs
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
        width = hidden
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def _auto_batch_size(n_rows: int) -> int:
    """Small batches for small data (more updates), large ones for throughput on big data."""
    if n_rows < 2_000:
        return 32
    if n_rows < 20_000:
        return 128
    if n_rows < th.LARGE_DATA_TRAIN_ROWS:
        return 512
    return th.LARGE_DATA_DL_BATCH_SIZE


def _auto_learning_rate(n_rows: int) -> float:
    """A larger step goes with the large-data batch size (see engine.thresholds)."""
    return th.LARGE_DATA_DL_LEARNING_RATE if n_rows >= th.LARGE_DATA_TRAIN_ROWS else th.DL_LEARNING_RATE


@contextlib.contextmanager
def _torch_threads(n_threads: int | None) -> Iterator[None]:
    """Train on ``n_threads`` CPU threads, then restore the process setting.

    Small mini-batches gain nothing from intra-op parallelism, and when other
    processes share the cores (a hosted app, CI) two spinning OpenMP threads
    were measured 25-45x slower than one on this 2-core machine.
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
