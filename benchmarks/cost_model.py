"""Measure the work budget's cost constants (engine.common.limits.COST_*) on this machine.

``python -m benchmarks.cost_model`` times each family's unit of work (a
boosting round, a solver iteration, an epoch, an optimiser step, a SHAP row)
on a small grid of generated sizes, one thread, and prints per constant the
median of (seconds / counted work) with the value engine.common.limits holds. The
plan (engine.measure.budget) reads only the constants, never a timing taken during a
run, so a busy machine plans the same work. Exit status 1 when a measured
constant is more than 3x the one in engine.common.limits (the plan would then
overrun its share on this machine).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from engine.common import limits


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def boosting() -> list[float]:
    import lightgbm

    values = []
    for rows, width in ((2_000, 10), (20_000, 20)):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(rows, width))
        y = (X[:, 0] + rng.normal(size=rows) > 0).astype(int)
        rounds = 50
        model = lightgbm.LGBMClassifier(n_estimators=rounds, learning_rate=0.05, num_leaves=31, subsample=0.8,
                                        subsample_freq=1, colsample_bytree=0.8, n_jobs=1, deterministic=True,
                                        force_row_wise=True, verbosity=-1)
        seconds = _timed(lambda: model.fit(X, y))
        per_tree = seconds / rounds
        values.append((per_tree - limits.COST_BOOSTING_ROUND) / (rows * width * 0.8))
    return values


def linear() -> list[float]:
    from sklearn.linear_model import LogisticRegression

    values = []
    for rows, width in ((2_000, 20), (20_000, 40)):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(rows, width))
        y = (X[:, 0] + rng.normal(size=rows) > 0).astype(int)
        model = LogisticRegression(max_iter=200, tol=1e-12)
        seconds = _timed(lambda: model.fit(X, y))
        values.append(seconds / (int(model.n_iter_[0]) * rows * width))
    return values


def network() -> dict[str, list[float]]:
    """COST_NETWORK_MAC and COST_NETWORK_BATCH, fitted together (an epoch costs a part per batch and one per row x
    multiply-add): subtracting the held batch constant from a small epoch left less than nothing, a negative MAC cost.

    Each size's epoch is the difference of a 4-epoch and a 1-epoch fit, so the fit's one-off set-up cancels; the two
    constants are the non-negative least squares over the sizes, and each size's value is what it leaves for one
    constant given the other's fit (the fit itself where no size measures it).
    """
    from scipy.optimize import nnls

    from engine.measure.work import _batches
    from engine.models.dl import TorchMLPClassifier

    counted, epoch_seconds = [], []
    for rows, width in ((2_000, 20), (20_000, 40), (60_000, 40)):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(rows, width)).astype(np.float32)
        y = (X[:, 0] > 0).astype(int)
        timings = {}
        for epochs in (1, 4):
            model = TorchMLPClassifier(max_epochs=epochs, patience=100, device="cpu")
            timings[epochs] = _timed(lambda: model.fit(X, y))
        macs = width * 128 + 128 * 64 + 64
        counted.append((_batches(rows), rows * macs))  # what the plan counts (engine.measure.work.mlp_work)
        epoch_seconds.append((timings[4] - timings[1]) / 3)
    (per_batch, per_mac), _ = nnls(np.array(counted, dtype=float), np.array(epoch_seconds))
    # A size measures a constant only where that part is at least a quarter of its epoch: 2,000 rows x 20 columns
    # is nearly all per-batch cost, and what it leaves for the multiply-adds is noise (it came out below zero).
    return {
        "COST_NETWORK_MAC": [(t - per_batch * b) / m for (b, m), t in zip(counted, epoch_seconds)
                             if per_mac * m >= 0.25 * t] or [per_mac],
        "COST_NETWORK_BATCH": [(t - per_mac * m) / b for (b, m), t in zip(counted, epoch_seconds)
                               if per_batch * b >= 0.25 * t] or [per_batch],
    }


def convolution() -> list[float]:
    from engine.kinds.images.cnn import TorchCNNClassifier

    values = []
    for rows, side in ((1_000, 8), (1_000, 28)):
        rng = np.random.default_rng(0)
        X = rng.uniform(0, 1, size=(rows, side * side)).astype(np.float32)
        y = (X[:, 0] > 0.5).astype(int)
        model = TorchCNNClassifier(side=side, max_epochs=2, patience=100, device="cpu")
        seconds = _timed(lambda: model.fit(X, y))
        size, channels, macs = side, 1, 0.0
        for out in (16, 32):
            macs += size * size * channels * out * 9
            size, channels = max(size // 2, 1), out
        macs += size * size * channels * 64 + 64
        values.append((seconds / 2 - limits.COST_NETWORK_BATCH * -(-rows // 128)) / (rows * macs))
    return values


def text() -> dict[str, list[float]]:
    from engine.kinds.text.models import make_text_network, make_tfidf_model
    from engine.profile.profile import profile_dataset

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(3_000)]
    out: dict[str, list[float]] = {"tfidf_token": [], "tfidf_iteration": [], "token_step": []}
    # Two classes, then twenty: an iteration of the multinomial solver costs per token x the classes' square root.
    for rows, length, classes in ((2_000, 12, 2), (5_000, 40, 2), (5_000, 40, 20)):
        docs = [" ".join(rng.choice(words, size=length)) for _ in range(rows)]
        frame = pd.DataFrame({"text": docs, "label": rng.choice([f"c{i}" for i in range(classes)], size=rows)})
        profile = profile_dataset(frame, "label")
        X, y = frame[["text"]], frame["label"]
        tokens = rows * length
        vectoriser = make_tfidf_model(profile)[0]
        vectorise = _timed(lambda: vectoriser.fit_transform(X))
        out["tfidf_token"].append(vectorise / tokens)
        model = make_tfidf_model(profile).set_params(model__max_iter=50, model__tol=1e-12)
        seconds = _timed(lambda: model.fit(X, y))
        outputs = classes if classes > 2 else 1
        out["tfidf_iteration"].append(max(seconds - vectorise, 0.0) / (int(model[-1].n_iter_[0]) * tokens * outputs ** 0.5))
        network = make_text_network(profile, max_steps=60, refit_on_all_rows=False, device="cpu")
        seconds = _timed(lambda: network.fit(X, y))
        out["token_step"].append(seconds / max(network[-1].steps_done_, 1))
    return out


def main() -> int:
    # A first fit in a process pays one-off start-up (torch's thread pools, LightGBM's): run each once untimed.
    for warm_up in (boosting, linear, network, convolution):
        warm_up()
    measured = {
        "COST_BOOSTING_CELL": boosting(),
        "COST_LINEAR_CELL": linear(),
        "COST_CONV_MAC": convolution(),
    }
    measured.update(network())
    texts = text()
    measured["COST_TFIDF_TOKEN"] = texts["tfidf_token"]
    measured["COST_TFIDF_TOKEN_ITERATION"] = texts["tfidf_iteration"]
    measured["COST_TOKEN_STEP"] = texts["token_step"]
    failed = False
    print(f"{'constant':28} {'measured (median)':>18} {'engine.common.limits':>14}  values")
    for name, values in measured.items():
        median = float(np.median(values))
        held = getattr(limits, name)
        failed |= median > 3 * held
        print(f"{name:28} {median:18.3g} {held:14.3g}  {', '.join(f'{v:.3g}' for v in values)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
