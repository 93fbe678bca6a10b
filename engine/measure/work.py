"""Each model family's work: its unit, full amount, convergence floor, cost model and how to bound and read it.

The :class:`engine.measure.budget.WorkSpec` of every built-in family; the kinds in
``engine/kinds`` attach them to their :class:`engine.registry.ModelSpec`. Costs
use the constants of :mod:`engine.common.limits` (measured by
``benchmarks/cost_model.py``). Nothing here imports torch or LightGBM.
"""

from __future__ import annotations

import math
from typing import Any

from engine.common import limits
from engine.common import thresholds as th
from engine.measure.budget import STOPPED_CLOCK, STOPPED_COMPLETE, STOPPED_CONVERGED, STOPPED_WORK, DataSize, WorkSpec

__all__ = ["boosting_work", "linear_work", "mlp_work", "cnn_work", "token_network_work", "tfidf_work",
           "BOOSTING_FLOOR_SHARE", "NETWORK_FLOOR_EPOCHS"]

#: Boosting below this share of its rounds is far from its model (a few trees of 0.05 learning rate).
BOOSTING_FLOOR_SHARE = 0.25
#: A network that neither early-stopped nor ran this many epochs is far from converged (issue 19: 1-2 epochs).
NETWORK_FLOOR_EPOCHS = 10
#: A solver stopped before this many iterations without converging is far from its optimum.
LINEAR_FLOOR_ITERATIONS = 50


def _trees_per_round(size: DataSize) -> int:
    return max(size.outputs, 1)


def boosting_work(full_rounds: int, *, colsample: float = 0.8, leaves: int = 31) -> WorkSpec:
    """LightGBM: boosting rounds (``model__n_estimators``); the clock's stop shows as fewer trees."""

    def seconds(size: DataSize, rounds: int) -> float:
        per_tree = limits.COST_BOOSTING_ROUND + limits.COST_BOOSTING_CELL * size.rows * size.width * colsample
        return rounds * _trees_per_round(size) * per_tree

    def apply(model: Any, rounds: int) -> None:
        model.set_params(model__n_estimators=int(rounds))

    def done(fitted: Any, planned: int) -> tuple[int, str]:
        rounds = int(fitted[-1].booster_.current_iteration())
        if rounds >= planned:
            return rounds, STOPPED_COMPLETE
        # Fewer rounds than planned: the clock, or LightGBM itself when no leaf could be split any more (a few
        # dozen rows), which is convergence. A booster fitted without the flag (by other code) counts as the clock.
        return rounds, (STOPPED_CLOCK if getattr(fitted[-1], "stopped_by_clock_", True) else STOPPED_CONVERGED)

    def shap(size: DataSize) -> float:
        return limits.COST_SHAP_TREE_LEAF * full_rounds * _trees_per_round(size) * leaves

    return WorkSpec(unit="boosting rounds", full=lambda size: full_rounds,
                    floor=lambda size: max(1, math.ceil(BOOSTING_FLOOR_SHARE * full_rounds)),
                    seconds=seconds, apply=apply, done=done, shap_seconds_per_row=shap)


def linear_work(full_iterations: int) -> WorkSpec:
    """Logistic regression: solver iterations (``model__max_iter``); ridge regression solves in one step."""

    def seconds(size: DataSize, iterations: int) -> float:
        if not size.classification:  # ridge: one solve
            return limits.COST_LINEAR_CELL * size.rows * size.width * size.width
        return iterations * (limits.COST_LINEAR_ITERATION
                             + limits.COST_LINEAR_CELL * size.rows * size.width * max(size.outputs, 1))

    def apply(model: Any, iterations: int) -> None:
        if "max_iter" in model[-1].get_params():
            if hasattr(model[-1], "predict_proba"):  # ridge's max_iter is for iterative solvers only: left as it is
                model.set_params(model__max_iter=int(iterations))

    def done(fitted: Any, planned: int) -> tuple[int, str]:
        n_iter = getattr(fitted[-1], "n_iter_", None)
        if n_iter is None or not hasattr(fitted[-1], "predict_proba"):
            return planned, STOPPED_COMPLETE
        iterations = int(max(list(n_iter) if hasattr(n_iter, "__len__") else [n_iter]))
        return iterations, (STOPPED_WORK if iterations >= planned else STOPPED_CONVERGED)

    def shap(size: DataSize) -> float:
        return limits.COST_SHAP_LINEAR_CELL * size.width * max(size.outputs, 1)

    return WorkSpec(unit="solver iterations", full=lambda size: full_iterations,
                    floor=lambda size: LINEAR_FLOOR_ITERATIONS if size.classification else 1, seconds=seconds,
                    apply=apply, done=done, shap_seconds_per_row=shap)


def _set_max_epochs(model: Any, epochs: int) -> None:
    """Bound a network pipeline (its last step named ``model``) to its planned epochs."""
    model.set_params(model__max_epochs=int(epochs))


def _network_done(fitted: Any, planned: int) -> tuple[int, str]:
    network = fitted[-1]
    # The loop reads the clock after each epoch, the last one included: a stop after every planned epoch ran is not a cut.
    search_cut = network.stopped_by_ == "time_budget" and network.n_epochs_ < getattr(network, "max_epochs_", planned)
    if search_cut or getattr(network, "refit_cut_by_clock_", False):
        return int(network.n_epochs_), STOPPED_CLOCK
    if network.stopped_by_ == "early_stopping":
        return int(network.n_epochs_), STOPPED_CONVERGED
    return int(network.n_epochs_), STOPPED_WORK


def _batches(rows: int) -> int:
    from engine.models.torch_base import auto_batch_size  # torch is imported by the caller's fit anyway

    return -(-rows // auto_batch_size(rows))


def mlp_work(full_epochs: int, hidden: tuple[int, ...] = (128, 64)) -> WorkSpec:
    """The tabular MLP: epochs (``model__max_epochs``); early stopping is its convergence."""

    def macs(size: DataSize) -> int:
        widths = (size.width, *hidden, size.outputs)
        return sum(a * b for a, b in zip(widths, widths[1:]))

    def seconds(size: DataSize, epochs: int) -> float:
        # Refitting on every row (small data) runs the best epochs once more: counted as up to one more pass.
        return epochs * (limits.COST_NETWORK_MAC * size.rows * macs(size) + limits.COST_NETWORK_BATCH * _batches(size.rows))

    def shap(size: DataSize) -> float:
        return limits.COST_SHAP_DEEP_MAC * th.SHAP_BACKGROUND_ROWS * macs(size) * max(size.outputs, 1)

    return WorkSpec(unit="epochs", full=lambda size: full_epochs, floor=lambda size: NETWORK_FLOOR_EPOCHS,
                    seconds=seconds, apply=_set_max_epochs, done=_network_done, shap_seconds_per_row=shap)


def cnn_work(full_epochs: int, filters: tuple[int, ...] = (16, 32), hidden: int = 64) -> WorkSpec:
    """The CNN: epochs; the cost counts the convolutions' multiply-adds on the image's side."""

    def macs(size: DataSize) -> float:
        side = math.sqrt(max(size.width, 1))
        total, channels = 0.0, 1
        for out in filters:
            total += side * side * channels * out * 9
            side = max(side // 2, 1)
            channels = out
        return total + side * side * channels * hidden + hidden * size.outputs

    def seconds(size: DataSize, epochs: int) -> float:
        return epochs * size.rows * (limits.COST_CONV_ROW + limits.COST_CONV_MAC * macs(size))

    def shap(size: DataSize) -> float:
        return limits.COST_SHAP_CONV_MAC * th.SHAP_BACKGROUND_ROWS * macs(size) * max(size.outputs, 1)

    return WorkSpec(unit="epochs", full=lambda size: full_epochs, floor=lambda size: NETWORK_FLOOR_EPOCHS,
                    seconds=seconds, apply=_set_max_epochs, done=_network_done, shap_seconds_per_row=shap)


def token_network_work(full_steps: int) -> WorkSpec:
    """The token network: optimiser steps (``model__max_steps``); its epochs follow from the rows."""

    def seconds(size: DataSize, steps: int) -> float:
        batch = min(_batch(size.rows), size.rows)
        per_step = limits.COST_TOKEN_STEP + limits.COST_TOKEN_TOKEN * batch * max(size.tokens, 1.0) * 2
        refit = 2 if size.rows <= th.TEXT_NET_REFIT_MAX_ROWS else 1  # the refit on every row repeats the steps
        return refit * steps * per_step

    def apply(model: Any, steps: int) -> None:
        model.set_params(model__max_steps=int(steps))

    def done(fitted: Any, planned: int) -> tuple[int, str]:
        network = fitted[-1]
        steps = int(getattr(network, "steps_done_", network.n_epochs_))
        _, stopped = _network_done(fitted, planned)
        return steps, stopped

    def floor(size: DataSize) -> int:
        # Two epochs' worth of steps, or a quarter of the full steps when that is less (large data needs fewer epochs).
        per_epoch = max(1, -(-int(size.rows * 0.85) // _batch(size.rows)))
        return max(1, min(2 * per_epoch, math.ceil(full_steps * 0.25)))

    def shap(size: DataSize) -> float:
        return limits.COST_SHAP_TEXT_TOKEN_CALL * th.TEXT_SHAP_CALLS_PER_DOCUMENT * max(size.tokens, 1.0)

    return WorkSpec(unit="optimiser steps", full=lambda size: full_steps, floor=floor, seconds=seconds, apply=apply,
                    done=done, shap_seconds_per_row=shap)


def _batch(rows: int) -> int:
    from engine.models.torch_base import auto_batch_size

    return auto_batch_size(rows)


def tfidf_work(full_iterations: int) -> WorkSpec:
    """TF-IDF into logistic regression: solver iterations; vectorising is a fixed cost per token."""

    def seconds(size: DataSize, iterations: int) -> float:
        tokens = size.rows * max(size.tokens, 1.0)
        # An iteration of the multinomial solver grows with the classes far less than linearly (measured on nine text
        # sets of 2 to 20 classes: per token, 2.4e-7 s at 2 classes, 5.9e-7 at 3, 8.2e-7 at 20): as their square root.
        solve = (limits.COST_TFIDF_TOKEN_ITERATION * iterations * tokens * math.sqrt(max(size.outputs, 1))
                 if size.classification else limits.COST_TFIDF_TOKEN_ITERATION * tokens * 20)  # ridge: one sparse solve
        return limits.COST_TFIDF_TOKEN * tokens + solve

    base = linear_work(full_iterations)

    def shap(size: DataSize) -> float:
        return limits.COST_SHAP_TEXT_TOKEN_CALL * th.TEXT_SHAP_CALLS_PER_DOCUMENT * max(size.tokens, 1.0) * 3

    return WorkSpec(unit="solver iterations", full=lambda size: full_iterations,
                    floor=lambda size: LINEAR_FLOOR_ITERATIONS if size.classification else 1, seconds=seconds,
                    apply=base.apply, done=base.done, shap_seconds_per_row=shap)
