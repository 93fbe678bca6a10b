"""engine.models.torch_base: every network is a scikit-learn estimator, checked by scikit-learn itself.

``parametrize_with_checks`` runs scikit-learn's own estimator checks on all
three networks (the MLP, the token network on tabular columns only, the CNN
on the smallest square holding the columns), with few epochs. The checks it expects to fail are listed with the reason:
each is a deliberate property of a trained, early-stopped network, not a
contract the dashboard relies on.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from engine.models import TorchMLPClassifier, TorchMLPRegressor
from engine.kinds.images.cnn import TorchCNNClassifier, TorchCNNRegressor
from engine.kinds.text.models import TextNetClassifier, TextNetRegressor
from engine.models.torch_base import PREDICT_BATCH_ROWS


def _expected_failures(estimator) -> dict[str, str]:
    """One, for the regressors: the networks validate X and y as scikit-learn's estimators do.

    float32 matrix products sum in a different order for a batch of 20 rows than for one row, so a
    prediction may differ in its last bits. The check allows 1e-7 absolute plus 1e-7 relative, about one
    float32 step (1.2e-7 relative) for predictions above 1, so a regressor's can miss it by two steps, while a
    classifier's probabilities (at most 1, steps of at most 6e-8) stay within it. Seen on the token network
    (1.8e-7), and on the MLP on another machine of the same kind (4.8e-7 on a prediction of 2.51: two steps).
    Marked as an expected failure for every regressor (non-strict: it passes on most runs), not a reason to
    predict in float64.
    """
    if isinstance(estimator, (TextNetRegressor, TorchMLPRegressor, TorchCNNRegressor)):
        return {"check_methods_subset_invariance": "float32 sums differ in the last bits between batch sizes"}
    return {}


# Every classifier has a class_weight parameter, so scikit-learn checks that weights of {0: 1000, others: 0.0001}
# make it predict class 0 on 50 noisy rows: a large step (0.05) moves the logits that far in a few epochs.
_SMALL = dict(max_epochs=8, patience=8, learning_rate=0.05, device="cpu", n_threads=1)
# The CNN's own validation slice (10 %) leaves fewer rows than classes on the checks' smallest tables;
# at a step of 0.05 its ReLUs die on the regression check's table (R² 0), at 0.01 it fits it (R² 0.5-0.8).
# Batches of 32 halve the steps per epoch (the checks' tables have 20-300 rows); the classifier's three
# well-separated blobs are learnt at a step of 0.02 in 12 epochs: CPU time of the CNN's checks 31 s -> 19 s.
_CNN = _SMALL | dict(validation_fraction=0.15, max_epochs=20, batch_size=32, learning_rate=0.01)
_CNN_CLASSIFIER = _CNN | dict(max_epochs=12, learning_rate=0.02)
NETWORKS = [
    TorchMLPClassifier(hidden_sizes=(16,), **_SMALL),
    TorchMLPRegressor(hidden_sizes=(16,), **_SMALL),
    TorchMLPClassifier(hidden_sizes=(16,), refit_on_all_rows=True, **_SMALL),
    TextNetClassifier(n_text_columns=0, max_steps=None, hidden_size=16, **_SMALL),
    TextNetRegressor(n_text_columns=0, max_steps=None, hidden_size=16, **_SMALL),
    TorchCNNClassifier(side=None, filters=(8,), hidden=16, shift=0, dropout=0.0, **_CNN_CLASSIFIER),
    TorchCNNRegressor(side=None, filters=(8,), hidden=16, shift=0, dropout=0.0, **_CNN),
]


@parametrize_with_checks(NETWORKS, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_the_loop_parameters_are_defined_once_and_every_network_reads_them():
    from dataclasses import fields

    from sklearn.base import clone

    from engine.models.torch_base import LoopParameters

    loop = {f.name for f in fields(LoopParameters)}
    for cls in (TorchMLPClassifier, TextNetRegressor, TorchCNNClassifier):
        params = cls().get_params()
        assert loop <= set(params), cls
        assert set(params) - loop == set(cls.network_parameters), cls
    assert TorchCNNClassifier().max_epochs == 60 and TorchMLPClassifier().max_epochs == 200  # each its own default
    network = TorchCNNClassifier(side=8, patience=3)
    copy = clone(network.set_params(max_epochs=5))
    assert (copy.side, copy.patience, copy.max_epochs) == (8, 3, 5)
    with pytest.raises(TypeError):
        TorchMLPClassifier(no_such_parameter=1)


def test_prediction_in_batches_equals_one_pass():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(PREDICT_BATCH_ROWS * 2 + 17, 4))
    net = TorchMLPRegressor(max_epochs=3, hidden_sizes=(8,)).fit(X, X[:, 0] * 3.0 + 1.0)
    import torch

    with torch.no_grad():
        whole = net.module_(torch.from_numpy(X.astype(np.float32))).numpy()[:, 0]
    np.testing.assert_allclose(net.predict(X), whole, rtol=1e-6, atol=1e-6)


def test_a_network_on_integer_inputs_needs_only_its_own_module_and_prepare():
    """Token ids (or images) get in by overriding ``_prepare`` and ``_build_module``: the loop is shared."""
    from torch import nn

    from engine.models.torch_base import TorchClassifierMixin, TorchEstimator

    class BagOfIds(TorchClassifierMixin, TorchEstimator):
        def __init__(self, max_epochs=40, random_state=0):
            self.max_epochs, self.random_state = max_epochs, random_state
            self.learning_rate, self.weight_decay, self.batch_size, self.patience = 0.05, 0.0, None, 10
            self.validation_fraction, self.max_seconds, self.device, self.n_threads = 0.2, None, "cpu", 1

        def _prepare(self, X, *, reset):
            return np.asarray(X, dtype=np.int64)

        def _build_module(self, X, n_outputs):
            return nn.EmbeddingBag(10, n_outputs, mode="mean")

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 10, size=(400, 5))
    y = np.where((ids == 3).any(axis=1), "has three", "no three")
    net = BagOfIds().fit(ids, y)
    assert net.score(ids, y) > 0.8
    assert isinstance(net.module_, nn.EmbeddingBag) and net.n_epochs_ >= 1
    assert net.predict_proba(ids[:3]).shape == (3, 2)


class _Recording:
    """Records the rows of every training epoch (a mixin in front of a network class)."""

    def _train_epoch(self, module, optimiser, X, target, rows, *args):
        self.epoch_rows_ = [*getattr(self, "epoch_rows_", []), np.sort(rows)]
        return super()._train_epoch(module, optimiser, X, target, rows, *args)


class _RecordingMLP(_Recording, TorchMLPClassifier):
    pass


def test_refit_on_all_rows_trains_a_fresh_module_on_every_row_for_the_early_stopped_epoch_count():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=300) > 0, "yes", "no")
    stopped = _RecordingMLP(max_epochs=60, patience=3, hidden_sizes=(8,), random_state=1).fit(X, y)
    refit = _RecordingMLP(max_epochs=60, patience=3, hidden_sizes=(8,), random_state=1, refit_on_all_rows=True).fit(X, y)
    assert stopped.refit_epochs_ == 0 and "refit" not in stopped.training_summary()
    # the search is the same; then best_epoch_ more epochs over every row, validation slice included
    assert refit.n_epochs_ == stopped.n_epochs_ and refit.best_epoch_ == stopped.best_epoch_ >= 1
    searched, refitted = refit.epoch_rows_[:refit.n_epochs_], refit.epoch_rows_[refit.n_epochs_:]
    assert all(len(rows) < len(X) for rows in searched)
    assert len(refitted) == refit.refit_epochs_ == refit.best_epoch_
    assert all(np.array_equal(rows, np.arange(len(X))) for rows in refitted)
    assert f"refit on every training row for {refit.best_epoch_} epochs" in refit.training_summary()
    assert not np.allclose(refit.predict_proba(X), stopped.predict_proba(X))
    assert refit.score(X, y) > 0.75
    again = _RecordingMLP(max_epochs=60, patience=3, hidden_sizes=(8,), random_state=1, refit_on_all_rows=True).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), refit.predict_proba(X))


def test_refit_is_skipped_when_the_search_ran_out_of_time():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 10))
    y = (X[:, 0] > 0).astype(int)
    net = _RecordingMLP(max_epochs=10_000, patience=10_000, max_seconds=0.3, refit_on_all_rows=True).fit(X, y)
    assert net.stopped_by_ == "time_budget" and net.refit_epochs_ == 0
    assert len(net.epoch_rows_) == net.n_epochs_
