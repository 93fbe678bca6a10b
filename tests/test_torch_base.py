"""engine.models.torch_base: every network is a scikit-learn estimator, checked by scikit-learn itself.

``parametrize_with_checks`` runs scikit-learn's own estimator checks on the
tabular networks. The checks it expects to fail are listed with the reason:
each is a deliberate property of a trained, early-stopped network, not a
contract the dashboard relies on.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from engine.models import TorchMLPClassifier, TorchMLPRegressor
from engine.models.torch_base import PREDICT_BATCH_ROWS


def _expected_failures(estimator) -> dict[str, str]:
    """None at present: the networks validate X and y as scikit-learn's estimators do."""
    return {}


# The classifier has a class_weight parameter, so scikit-learn checks that weights of {0: 1000, others: 0.0001}
# make it predict class 0: on that check's 50 noisy rows, 20 epochs of AdamW do not move the logits that far, 100 do.
@parametrize_with_checks(
    [TorchMLPClassifier(max_epochs=100, hidden_sizes=(16,)), TorchMLPRegressor(max_epochs=20, hidden_sizes=(16,)),
     TorchMLPClassifier(max_epochs=100, hidden_sizes=(16,), refit_on_all_rows=True)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


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
