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
    [TorchMLPClassifier(max_epochs=100, hidden_sizes=(16,)), TorchMLPRegressor(max_epochs=20, hidden_sizes=(16,))],
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
