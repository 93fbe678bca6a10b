"""One training loop for every PyTorch network, behind the scikit-learn estimator contract.

A network is three things that vary — the module, how a batch of ``X`` becomes
a tensor, and the output head (classifier or regressor) — on one loop that
does not: AdamW on mini-batches, early stopping on a validation slice, a time
budget, thread control, seeding, the device choice, and prediction in batches.
The tabular MLP (:mod:`engine.models.dl`) is one subclass; a text network and a
CNN are others. This is skorch's ``NeuralNet`` shape, kept in-house because
skorch measured 1.6-2.7x slower on the same MLP and epochs
(``benchmarks/torch_loop_vs_skorch.py``; the issue allowed 10 %).

Subclasses implement :meth:`TorchEstimator._build_module` and, when ``X`` is
not a float matrix, :meth:`TorchEstimator._prepare` / :meth:`TorchEstimator._to_tensor`;
:class:`TorchClassifierMixin` or :class:`TorchRegressorMixin` supply the head.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import os
import threading
import time
from dataclasses import dataclass, fields
from typing import Any, Callable, ClassVar, Iterator, Mapping

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from engine.common import thresholds as th
from engine.common.wording import count

__all__ = [
    "TorchEstimator", "TorchClassifierMixin", "TorchRegressorMixin", "EpochCallback", "LoopParameters",
    "torch_threads", "resolve_device", "seed_module", "set_process_threads", "THREADS_ENV",
]

#: Called after every epoch with (epoch, max_epochs, validation_loss).
EpochCallback = Callable[[int, int, float], None]

#: Rows per forward pass when predicting or validating: bounded memory for images and long texts.
PREDICT_BATCH_ROWS = 2_048


@dataclass(frozen=True)
class LoopParameters:
    """The shared loop's hyperparameters, defined once for every network (each network may change a default).

    ``batch_size``/``learning_rate`` left as None are chosen from the number of
    training rows; the values used end in ``_``. ``class_weight`` (None,
    ``"balanced"`` or {class: weight}) weights a classifier's loss; a regressor ignores it.
    """

    learning_rate: float | None = None
    weight_decay: float = 1e-4
    batch_size: int | None = None
    max_epochs: int = 200
    patience: int = 12
    validation_fraction: float = 0.15
    refit_on_all_rows: bool = False
    max_seconds: float | None = None
    random_state: int = 0
    device: str = "auto"
    n_threads: int | None = 1
    class_weight: str | dict | None = None


def _generated_init(signature: inspect.Signature) -> Callable[..., None]:
    """An ``__init__`` that stores each parameter as it is given (scikit-learn's rule), with ``signature``.

    scikit-learn reads the parameter names from ``inspect.signature(__init__)``, which honours
    ``__signature__``: ``get_params``, ``set_params`` and ``clone`` work as with a written-out ``__init__``.
    """

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    return __init__


class TorchEstimator(BaseEstimator):
    """The shared loop; its parameters are :class:`LoopParameters` and each network's own.

    A network class declares ``network_parameters`` (its module's parameters and their
    defaults, in order) and ``loop_defaults`` (a :class:`LoopParameters` with its own
    defaults); its ``__init__`` is generated from both, so the loop's parameter set is
    written once for all networks and ``get_params``/``clone`` see every parameter.
    A subclass may still write its own ``__init__`` setting the loop's attributes.

    Optional: ``refit_on_all_rows`` (False when a subclass does not declare
    it). When true, early stopping on the validation slice only chooses the
    epoch count (``best_epoch_``); a fresh module is then trained on every
    row, the validation slice included, for that many epochs (``refit_epochs_``),
    unless that would overrun ``max_seconds``.
    """

    learning_rate: float | None
    weight_decay: float
    batch_size: int | None
    max_epochs: int
    patience: int
    validation_fraction: float
    max_seconds: float | None
    random_state: int
    device: str
    n_threads: int | None
    refit_on_all_rows: bool

    network_parameters: ClassVar[Mapping[str, Any]]
    loop_defaults: ClassVar[LoopParameters]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "network_parameters" not in cls.__dict__:
            return  # a head mixin or a hand-written network: its __init__ is inherited or its own
        defaults = getattr(cls, "loop_defaults", LoopParameters())
        clashes = set(cls.network_parameters) & {f.name for f in fields(LoopParameters)}
        if clashes:
            raise TypeError(f"{cls.__name__} redefines loop parameters {sorted(clashes)}: change loop_defaults instead")
        parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        parameters += [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=value)
                       for name, value in cls.network_parameters.items()]
        parameters += [inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=getattr(defaults, f.name))
                       for f in fields(LoopParameters)]
        cls.__init__ = _generated_init(inspect.Signature(parameters))  # type: ignore[method-assign]

    # -- what varies between networks ---------------------------------------------
    def _build_module(self, X: Any, n_outputs: int) -> nn.Module:
        """A fresh module for inputs like ``X`` (prepared) and ``n_outputs`` raw outputs."""
        raise NotImplementedError

    def _prepare(self, X: Any, *, reset: bool) -> np.ndarray:
        """``X`` as one array indexed by row: a finite float32 matrix by default.

        ``reset=True`` (in ``fit``) records ``n_features_in_``; afterwards the
        same width is required, as scikit-learn's estimators do.
        """
        return validate_data(self, X, dtype=np.float32, reset=reset)

    def _to_tensor(self, batch: np.ndarray) -> torch.Tensor:
        """One batch of prepared rows as the module's input tensor."""
        return torch.from_numpy(np.ascontiguousarray(batch))

    def _augment(self, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Training-time augmentation of one input batch (none by default)."""
        return batch

    # -- what the head supplies -----------------------------------------------------
    def _encode_target(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        raise NotImplementedError

    def _loss(self) -> nn.Module:
        raise NotImplementedError

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        return None

    def _finish(self, module: nn.Module) -> nn.Module:
        """The trained module as it will predict (the regressor folds its target scaling in)."""
        return module

    # -- training -------------------------------------------------------------------
    def fit(self, X: Any, y: Any, on_epoch: EpochCallback | None = None) -> "TorchEstimator":
        """Train with early stopping on a validation slice; returns ``self``."""
        with torch_threads(self.n_threads):
            return self._fit(X, y, on_epoch)

    def _fit(self, X: Any, y: Any, on_epoch: EpochCallback | None) -> "TorchEstimator":
        X = self._prepare(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        device = resolve_device(self.device)
        self.device_ = device.type
        target, n_outputs = self._encode_target(y)
        # One generator per network, never the process-wide one: concurrent sessions' trainings in one
        # server process would otherwise draw from (and reseed) each other's random streams.
        generator = torch.Generator().manual_seed(self.random_state)
        module = seed_module(self._build_module(X, n_outputs), generator).to(device)
        # Data-parallel training (engine.models.distributed): this process holds one shard; gradients,
        # the validation loss and the clock's stop are agreed with the other workers, so all stop together.
        parallel = getattr(self, "_data_parallel", None)
        if parallel is not None:
            module = parallel.wrap(module)

        stratify = self._stratify(y)
        self.validation_note_ = ""
        if stratify is not None and not _stratified_split_fits(stratify, len(X), self.validation_fraction):
            stratify = None
            self.validation_note_ = (
                f"the validation slice was drawn without stratifying: {len(np.unique(y))} classes are too many "
                f"for {len(X)} training rows"
            )
        train_idx, val_idx = train_test_split(
            np.arange(len(X)), test_size=self.validation_fraction, random_state=self.random_state, stratify=stratify,
        )
        self.batch_size_ = self.batch_size or auto_batch_size(len(X))
        self.learning_rate_ = self.learning_rate or auto_learning_rate(len(X))
        loss_fn = self._loss().to(device)  # a weighted loss holds its class weights as buffers
        start = time.perf_counter()
        best_loss, best_state, since_best = float("inf"), copy.deepcopy(module.state_dict()), 0
        self.n_epochs_ = self.best_epoch_ = self.refit_epochs_ = 0
        self.stopped_by_ = "max_epochs"
        optimiser = self._optimiser(module)
        self.max_epochs_ = max_epochs = self._epoch_limit(len(train_idx))
        for epoch in range(1, max_epochs + 1):
            self._train_epoch(module, optimiser, X, target, train_idx, loss_fn, device, generator)
            val_loss = self._validation_loss(module, X, target, val_idx, loss_fn, device)
            if parallel is not None:
                val_loss = parallel.mean(val_loss)
            self.n_epochs_ = epoch
            if on_epoch is not None:
                on_epoch(epoch, max_epochs, val_loss)
            if val_loss < best_loss - 1e-6:
                best_loss, best_state, since_best = val_loss, copy.deepcopy(module.state_dict()), 0
                self.best_epoch_ = epoch
            else:
                since_best += 1
            if since_best >= self.patience:
                self.stopped_by_ = "early_stopping"
                break
            timed_out = self.max_seconds is not None and time.perf_counter() - start > self.max_seconds
            if parallel is not None:
                timed_out = parallel.any(timed_out)
            if timed_out:
                self.stopped_by_ = "time_budget"
                break
        module.load_state_dict(best_state)
        if parallel is not None:
            module = parallel.unwrap(module)
        # Work done, for the run record's budget (engine.measure.budget): optimiser steps of the search.
        self.steps_done_ = self.n_epochs_ * -(-len(train_idx) // self.batch_size_)
        self.refit_cut_by_clock_ = False
        if parallel is None and self._refits(len(X)) and self.stopped_by_ != "time_budget" and self.best_epoch_ >= 1:
            module = self._refit(module, X, target, n_outputs, loss_fn, device, generator, start, len(train_idx))
        self.module_ = self._finish(_plain_dropout(module.to("cpu").eval()))
        self.best_validation_loss_ = best_loss
        return self

    def _epoch_limit(self, train_rows: int) -> int:
        """The most epochs the search may run (``max_epochs``; a subclass may bound it by work)."""
        return self.max_epochs

    def _refits(self, n_rows: int) -> bool:
        """Whether to refit on every row after early stopping (``refit_on_all_rows``; a subclass may add a rule)."""
        return bool(getattr(self, "refit_on_all_rows", False))

    def _refit(
        self, stopped: nn.Module, X: np.ndarray, target: torch.Tensor, n_outputs: int, loss_fn: nn.Module,
        device: torch.device, generator: torch.Generator, start: float, train_rows: int,
    ) -> nn.Module:
        """A fresh module trained on every row for the ``best_epoch_`` epochs early stopping chose.

        The validation slice has done its job (choosing the epoch count), so
        its rows are learnt from too. Skipped, keeping the early-stopped
        ``stopped`` module, when the refit would overrun ``max_seconds`` (from
        the time per epoch so far, scaled to all rows); abandoned for it when it
        does overrun.
        """
        elapsed = time.perf_counter() - start
        per_epoch = elapsed / max(self.n_epochs_, 1) * len(X) / max(train_rows, 1)
        if self.max_seconds is not None and elapsed + per_epoch * self.best_epoch_ > self.max_seconds:
            return stopped
        module = seed_module(self._build_module(X, n_outputs), generator).to(device)
        optimiser = self._optimiser(module)
        every_row = np.arange(len(X))
        for epoch in range(1, self.best_epoch_ + 1):
            self._train_epoch(module, optimiser, X, target, every_row, loss_fn, device, generator)
            if self.max_seconds is not None and time.perf_counter() - start > self.max_seconds:
                self.refit_cut_by_clock_ = True  # the clock's safety net, not the work budget: the record says so
                return stopped
        self.refit_epochs_ = self.best_epoch_
        return module

    def _optimiser(self, module: nn.Module) -> Any:
        """AdamW over every parameter; anything with ``zero_grad(set_to_none=)`` and ``step()`` will do."""
        return torch.optim.AdamW(module.parameters(), lr=self.learning_rate_, weight_decay=self.weight_decay)

    def _train_epoch(
        self, module: nn.Module, optimiser: Any, X: np.ndarray, target: torch.Tensor, rows: np.ndarray,
        loss_fn: nn.Module, device: torch.device, generator: torch.Generator,
    ) -> None:
        """One pass over ``rows`` in shuffled mini-batches."""
        module.train()
        order = rows[torch.randperm(len(rows), generator=generator).numpy()]
        for start_row in range(0, len(order), self.batch_size_):
            batch = order[start_row:start_row + self.batch_size_]
            inputs = self._augment(self._to_tensor(X[batch]), generator).to(device)
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(module(inputs), target[torch.from_numpy(batch)].to(device))
            loss.backward()
            optimiser.step()

    def _validation_loss(
        self, module: nn.Module, X: np.ndarray, target: torch.Tensor, rows: np.ndarray, loss_fn: nn.Module,
        device: torch.device,
    ) -> float:
        """Mean loss over the validation rows, in bounded batches."""
        module.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, len(rows), PREDICT_BATCH_ROWS):
                batch = rows[start:start + PREDICT_BATCH_ROWS]
                output = module(self._to_tensor(X[batch]).to(device))
                total += float(loss_fn(output, target[torch.from_numpy(batch)].to(device))) * len(batch)
        return total / max(len(rows), 1)

    def training_summary(self) -> str:
        """One sentence on how training went, for the comparison's notes."""
        check_is_fitted(self, "module_")
        return (
            f"trained {count(self.n_epochs_, 'epoch')} with batches of {self.batch_size_} at learning rate "
            f"{self.learning_rate_:g} on the {self.device_.upper()}, "
            f"stopped by {self.stopped_by_.replace('_', ' ')}"
            + (f", then refit on every training row for {count(self.refit_epochs_, 'epoch')}" if getattr(self, "refit_epochs_", 0) else "")
            + (f"; {self.validation_note_}" if getattr(self, "validation_note_", "") else "")
        )

    # -- prediction -----------------------------------------------------------------
    def raw_output(self, X: Any) -> np.ndarray:
        """The module's raw outputs (rows, outputs): logits, or predictions in target units (what SHAP explains)."""
        return self._raw_output(X)

    def prepare(self, X: Any) -> np.ndarray:
        """``X`` as the fitted module reads it (what :meth:`explain_module` takes)."""
        return self._prepare(X, reset=False)

    def _raw_output(self, X: Any) -> np.ndarray:
        """The module's raw outputs (logits, or predictions in target units), batch by batch."""
        check_is_fitted(self, "module_")
        X = self._prepare(X, reset=False)
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(X), PREDICT_BATCH_ROWS):
                outputs.append(self.module_(self._to_tensor(X[start:start + PREDICT_BATCH_ROWS])).numpy())
        if not outputs:
            return np.zeros((0, self._n_outputs()), dtype=np.float32)
        return np.concatenate(outputs)

    def _n_outputs(self) -> int:
        return 1

    def explain_module(self) -> nn.Module:
        """The network as SHAP should see it: prepared inputs in, raw outputs out."""
        check_is_fitted(self, "module_")
        return self.module_

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "module_")


class TorchClassifierMixin(ClassifierMixin):
    """Classifier head: one logit for two classes, one per class otherwise.

    A subclass with a ``class_weight`` parameter trains on a weighted loss:
    ``"balanced"`` weights each class by ``n / (classes × n_class)``, a dict
    gives {class: weight} (scikit-learn's convention; the weights used are in
    ``class_weights_``). The mean is taken over the weights, as
    ``CrossEntropyLoss`` does, so the loss keeps its scale.
    """

    classes_: np.ndarray
    class_weights_: np.ndarray | None

    def _encode_target(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("classification needs at least two classes; the data has one class")
        self.class_weights_ = self._class_weights(y)
        if len(self.classes_) == 2:
            return torch.from_numpy(codes.astype(np.float32)).unsqueeze(1), 1
        return torch.from_numpy(codes.astype(np.int64)), len(self.classes_)

    def _class_weights(self, y: np.ndarray) -> np.ndarray | None:
        """One weight per class of ``classes_`` from ``class_weight`` (None, "balanced" or {class: weight})."""
        mode = getattr(self, "class_weight", None)
        if mode is None:
            return None
        from sklearn.utils.class_weight import compute_class_weight

        return compute_class_weight(mode, classes=self.classes_, y=y).astype(np.float64)

    def _loss(self) -> nn.Module:
        weights = getattr(self, "class_weights_", None)
        if weights is None:
            return nn.BCEWithLogitsLoss() if len(self.classes_) == 2 else nn.CrossEntropyLoss()
        tensor = torch.tensor(weights, dtype=torch.float32)
        return _WeightedBCEWithLogits(tensor) if len(self.classes_) == 2 else nn.CrossEntropyLoss(weight=tensor)

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        _, counts = np.unique(y, return_counts=True)
        return y if counts.min() >= 2 else None

    def _n_outputs(self) -> int:
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits: log-odds of ``classes_[1]`` for two classes, else one column per class."""
        raw = self._raw_output(X)  # type: ignore[attr-defined]
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict_proba(self, X: Any) -> np.ndarray:
        logits = torch.from_numpy(self._raw_output(X))  # type: ignore[attr-defined]
        if logits.shape[1] == 1:
            positive = torch.sigmoid(logits[:, 0]).numpy()
            return np.column_stack([1.0 - positive, positive])
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        probabilities = self.predict_proba(X)  # raises NotFittedError before classes_ is read
        return self.classes_[np.argmax(probabilities, axis=1)]


class _WeightedBCEWithLogits(nn.Module):
    """Binary cross-entropy on one logit with a weight per class, averaged over the weights (as CrossEntropyLoss does)."""

    def __init__(self, class_weights: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("class_weights", class_weights)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weights = torch.where(target > 0.5, self.class_weights[1], self.class_weights[0])
        losses = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        return (weights * losses).sum() / weights.sum()


class TorchRegressorMixin(RegressorMixin):
    """Regressor head: trained on a standardised target, predicting in the target's own units."""

    target_mean_: float
    target_scale_: float

    def _encode_target(self, y: np.ndarray) -> tuple[torch.Tensor, int]:
        y = y.astype(np.float64)
        if not np.isfinite(y).all():
            raise ValueError("the target holds NaN or infinite values")
        # Data-parallel workers scale by the whole training target's statistics, not their shard's.
        stats = getattr(getattr(self, "_data_parallel", None), "target_stats", None)
        self.target_mean_, self.target_scale_ = stats if stats is not None else (float(y.mean()), float(y.std()) or 1.0)
        return torch.from_numpy(((y - self.target_mean_) / self.target_scale_).astype(np.float32)).unsqueeze(1), 1

    def _loss(self) -> nn.Module:
        return nn.MSELoss()

    def _finish(self, module: nn.Module) -> nn.Module:
        # Fold the target scaling into a last linear layer so explainers see
        # predictions in the target's own units.
        rescale = nn.Linear(1, 1)
        with torch.no_grad():
            rescale.weight.fill_(self.target_scale_)
            rescale.bias.fill_(self.target_mean_)
        return nn.Sequential(module, rescale).eval()

    def predict(self, X: Any) -> np.ndarray:
        return self._raw_output(X)[:, 0].astype(np.float64)  # type: ignore[attr-defined]


def auto_batch_size(n_rows: int) -> int:
    """Small batches for small data (more updates), large ones for throughput on big data."""
    if n_rows < 2_000:
        return 32
    if n_rows < 20_000:
        return 128
    if n_rows < th.LARGE_DATA_TRAIN_ROWS:
        return 512
    return th.LARGE_DATA_DL_BATCH_SIZE


def auto_learning_rate(n_rows: int) -> float:
    """A larger step goes with the large-data batch size (see engine.common.thresholds)."""
    return th.LARGE_DATA_DL_LEARNING_RATE if n_rows >= th.LARGE_DATA_TRAIN_ROWS else th.DL_LEARNING_RATE


def _stratified_split_fits(y: np.ndarray, n_rows: int, fraction: float) -> bool:
    """Whether a stratified validation slice of ``fraction`` has room for a row of every class on both sides."""
    n_classes = len(np.unique(y))
    validation_rows = math.ceil(fraction * n_rows) if fraction < 1 else int(fraction)
    return validation_rows >= n_classes and n_rows - validation_rows >= n_classes


class _SeededDropout(nn.Module):
    """``nn.Dropout`` drawing its masks from the network's own generator rather than the process-wide one.

    In evaluation mode it is the identity, as ``nn.Dropout`` is, so explainers see the same function.
    """

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return inputs
        keep = torch.rand(inputs.shape, generator=self.generator) >= self.p
        return inputs * keep.to(inputs.device) / (1.0 - self.p)


def _plain_dropout(module: nn.Module) -> nn.Module:
    """``module`` with its seeded dropout layers back as ``nn.Dropout`` (no generator kept: picklable, and explainers know it)."""
    for child in list(module.modules()):
        for attribute, grandchild in list(child.named_children()):
            if isinstance(grandchild, _SeededDropout):
                setattr(child, attribute, nn.Dropout(grandchild.p).train(grandchild.training))
    return module


def seed_module(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-draw every parameter of ``module`` from ``generator`` (PyTorch's default schemes) and seed its dropout.

    Layers are built with the process-wide generator; reseeding that per
    network (``torch.manual_seed``) from concurrent request threads lets one
    session's training change another's. Raises TypeError for a layer with
    parameters whose default initialisation is not reproduced here, so a new
    layer type cannot silently fall back to the shared stream.
    """
    for name, child in list(module.named_modules()):
        if isinstance(child, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            nn.init.kaiming_uniform_(child.weight, a=math.sqrt(5), generator=generator)
            if child.bias is not None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(child.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(child.bias, -bound, bound, generator=generator)
        elif isinstance(child, (nn.Embedding, nn.EmbeddingBag)):
            nn.init.normal_(child.weight, generator=generator)
            if child.padding_idx is not None:
                with torch.no_grad():
                    child.weight[child.padding_idx].fill_(0)
        elif isinstance(child, (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm)):
            pass  # ones and zeros: nothing random
        elif any(True for _ in child.parameters(recurse=False)):
            raise TypeError(f"no seeded initialisation for {type(child).__name__}; add it to seed_module")
        for attribute, grandchild in list(child.named_children()):
            if type(grandchild) is nn.Dropout:
                setattr(child, attribute, _SeededDropout(grandchild.p, generator))
    return module


THREADS_ENV = "ADVISOR_TORCH_THREADS"
_threads_set = False


def set_process_threads(n_threads: int | None = None) -> int:
    """Set PyTorch's intra-op threads once for the process (a server calls it at start-up); returns the count.

    ``ADVISOR_TORCH_THREADS`` overrides the default of one thread: small
    mini-batches gain nothing from intra-op parallelism, and a server trains
    several sessions at once, each in its own thread.
    """
    global _threads_set
    count = n_threads or _configured_threads() or 1
    if not _threads_set or torch.get_num_threads() != count:
        torch.set_num_threads(count)
    _threads_set = True
    return count


def _configured_threads() -> int:
    """``ADVISOR_TORCH_THREADS`` as a count of one or more, else 0 (the default): read when the dashboard starts, a
    value that is not a whole number above zero must not stop every page."""
    try:
        return max(int(os.environ.get(THREADS_ENV, "").strip() or 0), 0)
    except ValueError:
        return 0


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Train on ``n_threads`` CPU threads, then restore the process setting (only in the main thread).

    Small mini-batches gain nothing from intra-op parallelism, and when other
    processes share the cores (a hosted app, CI) two spinning OpenMP threads
    were measured 25-45x slower than one on this 2-core machine. The setting
    is process-wide, so a worker thread (a server's session) leaves it as
    :func:`set_process_threads` set it at start-up.
    """
    if n_threads is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def resolve_device(device: str) -> torch.device:
    """``"auto"`` is CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
