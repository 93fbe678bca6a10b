"""Budgets in work: how much each model family trains, fixed before training from the data's size and the time budget.

A wall-clock budget makes results depend on the machine's load: the same data
and seed on a busy machine got fewer boosting rounds, fewer epochs, fewer SHAP
rows and fewer repeated splits, and the winner flipped (issue 19). Here the
time budget is turned into *work* once, before any training, by a cheap
deterministic cost model (rows × width × a per-unit constant measured on the
reference machine, :mod:`engine.common.limits`): boosting rounds, epochs or
optimiser steps, solver iterations, SHAP rows and repeated splits. The same
data, options and seed therefore give the same :class:`WorkBudget`, and the
same models, on an idle or a busy machine. The wall-clock deadline stays as a
safety net only (:mod:`engine.measure.deadline`); when it fires the record says which
side it cut and by how much, and the verdict is not a fair comparison.

The plan targets ``limits.WORK_PLAN_SHARE`` of the time budget on the
reference machine, so a machine up to ``1 / WORK_PLAN_SHARE`` times slower
still finishes every planned unit before the safety net.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from engine.common import limits
from engine.common import thresholds as th

__all__ = ["DataSize", "WorkSpec", "FamilyPlan", "WorkBudget", "plan_work", "estimate_seconds", "budget_for_full_work",
           "data_size", "work_done", "STOPPED_CONVERGED", "STOPPED_WORK", "STOPPED_CLOCK", "STOPPED_COMPLETE"]

#: How a family's training ended: its own convergence test (early stopping, solver tolerance) ...
STOPPED_CONVERGED = "converged"
#: ... every planned unit ran (boosting has no convergence test; the planned rounds are the model) ...
STOPPED_COMPLETE = "complete"
#: ... the planned work ended before the family's own convergence test fired ...
STOPPED_WORK = "work budget"
#: ... or the wall-clock safety net fired before the planned work was done.
STOPPED_CLOCK = "clock"


@dataclass(frozen=True)
class DataSize:
    """What the cost model reads of the data: training rows, encoded width, outputs and (text) tokens per row."""

    rows: int
    width: int
    outputs: int = 1
    tokens: float = 0.0  # mean tokens per document over the text columns (0: no text)
    classification: bool = True


@dataclass(frozen=True)
class WorkSpec:
    """How one model family's training is counted and bounded in work.

    ``full(size)`` is the family's own setting when time is ample (its default
    rounds, epochs, steps or iterations); ``floor(size)`` the least work below
    which it is far from converged (the fight is then unfair); ``seconds(size,
    units)`` the cost model's estimate on the reference machine; ``apply(model,
    units)`` bounds an unfitted model to ``units``; ``done(fitted)`` reads back
    (units done, how it stopped: one of the ``STOPPED_*`` words).
    """

    unit: str
    full: Callable[[DataSize], int]
    floor: Callable[[DataSize], int]
    seconds: Callable[[DataSize, int], float]
    apply: Callable[[Any, int], None]
    done: Callable[[Any, int], tuple[int, str]]
    shap_seconds_per_row: Callable[[DataSize], float] = lambda size: 0.0


@dataclass(frozen=True)
class FamilyPlan:
    """One family's planned work: ``planned`` of its ``full`` units (``floor``: the least that counts as trained)."""

    key: str
    unit: str
    full: int
    planned: int
    floor: int
    estimated_seconds: float

    @property
    def starved(self) -> bool:
        """The budget left this family less work than it needs to be trained at all (see :func:`work_done`)."""
        return self.planned < self.floor

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "unit": self.unit, "full": self.full, "planned": self.planned, "floor": self.floor,
                "estimated_seconds": round(self.estimated_seconds, 3)}


@dataclass(frozen=True)
class WorkBudget:
    """Every family's work, the SHAP rows and the repeated splits of one comparison, fixed before training."""

    ml: dict[str, FamilyPlan]  # every classic candidate (several when the inner cross-validation chooses)
    dl: dict[str, FamilyPlan]
    shap_rows: int
    shap_rows_asked: int
    splits: int
    selection_folds: int  # inner cross-validation folds when a side has several candidates (0: no choice)
    estimated_seconds: float
    full_seconds: float  # the estimate with every family at its full work and the most splits
    max_seconds: float
    plan_share: float = field(default=limits.WORK_PLAN_SHARE)
    selection_skipped: bool = False  # a side had several families, but the budget planned no inner cross-validation
    #: The budget planned less than the full work: a family below its full work, fewer repeated splits than small
    #: data gets, no inner cross-validation, or fewer SHAP rows than asked (each named in the run's notes).
    reduced: bool = False

    def for_family(self, family: str, key: str) -> FamilyPlan:
        """The plan of the ``family`` ("ml" or "dl") candidate named ``key``."""
        return (self.ml if family == "ml" else self.dl)[key]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ml": {key: plan.to_dict() for key, plan in self.ml.items()},
            "dl": {key: plan.to_dict() for key, plan in self.dl.items()},
            "shap_rows": self.shap_rows, "shap_rows_asked": self.shap_rows_asked, "splits": self.splits,
            "selection_folds": self.selection_folds, "selection_skipped": self.selection_skipped,
            "reduced": self.reduced,
            "estimated_seconds": round(self.estimated_seconds, 2), "full_seconds": round(self.full_seconds, 2),
            "plan_share": self.plan_share,
            "cost_model": limits.COST_MODEL_PROVENANCE,
        }


def data_size(profile: Any, X: Any, features: list[str], train_rows: int) -> DataSize:
    """The cost model's view of the data: encoded width from the profile, mean tokens from the text (deterministic)."""
    from engine.profile.profile import ColumnKind

    kinds = {c.name: c for c in profile.columns}
    width, tokens = 0, 0.0
    for name in features:
        column = kinds.get(name)
        if column is None or column.kind is ColumnKind.NUMERIC or column.kind is ColumnKind.IMAGE_PIXEL:
            width += 1
        elif column.kind is ColumnKind.CATEGORICAL:
            width += min(max(column.unique_values, 1), limits.MAX_CATEGORIES_PER_COLUMN + 1)
        elif column.kind is ColumnKind.DATETIME:
            width += limits.COST_DATE_WIDTH
        elif column.kind is ColumnKind.TEXT:
            sample = X[name].iloc[_spread_positions(len(X), limits.COST_TOKEN_SAMPLE_ROWS)].astype("string").fillna("")
            # Words ~ characters / 6 with spaces: counted, not tokenised, so planning costs nothing.
            tokens += min(float(sample.str.len().mean() or 0.0) / 6.0, float(th.TEXT_MAX_TOKENS))
    outputs = len(profile.class_balance) if profile.task.is_classification and len(profile.class_balance) > 2 else 1
    return DataSize(rows=int(train_rows), width=max(width, 1), outputs=outputs, tokens=tokens,
                    classification=profile.task.is_classification)


def _spread_positions(rows: int, count: int) -> np.ndarray:
    """``count`` row positions spread evenly over ``rows`` (all of them when fewer): deterministic, and fair to a file
    sorted by class, where the first rows are the first classes' texts (20 Newsgroups: 204 words a post, 249 over all)."""
    return np.unique(np.linspace(0, max(rows - 1, 0), num=min(rows, count)).astype(int))


def _scaled(spec: WorkSpec, size: DataSize, scale: float) -> int:
    full = spec.full(size)
    return max(1, min(full, int(math.floor(full * scale)))) if scale < 1.0 else full


def plan_work(
    ml_specs: dict[str, Any], dl_specs: dict[str, Any], size: DataSize, max_seconds: float, shap_rows: int, *,
    small_data: bool, select_ml: bool = False, select_dl: bool = False,
) -> WorkBudget:
    """The work of every family, the SHAP rows and the repeated splits that fit ``max_seconds`` on the reference machine.

    ``ml_specs``/``dl_specs`` map each candidate's key to its
    :class:`engine.registry.ModelSpec` (a spec without ``work`` is planned as
    one unit at no cost). ``select_*``: that side chooses among its candidates
    by inner cross-validation (``limits.SELECTION_FOLDS`` folds), which costs
    every candidate that many fits on the fold's rows. ``small_data``: repeat
    the comparison on up to ``thresholds.SMALL_DATA_MAX_SPLITS`` splits.

    Training gets the plan less what the asked SHAP rows cost, and at least
    ``limits.WORK_TRAIN_SHARE`` of it. That room is filled in
    this order: every family at its full work on the most splits that fit; else
    one split, the classic side up to ``limits.WORK_ML_SHARE`` of it (more when
    the network needs less than the rest) and the network the rest, each side's
    work scaled down until it fits its room. SHAP rows fill
    the rest, at least ``limits.SHAP_MIN_ROWS``. A pure function of its
    arguments.
    """
    plan_seconds = max(max_seconds * limits.WORK_PLAN_SHARE - limits.WORK_FIXED_SECONDS, 0.0)
    # A share held for SHAP beyond what the asked rows cost went unused: 10 rows of 20 Newsgroups cost a few
    # seconds of the 60 s kept for them, while the solver got 46 of the 64 iterations it needs.
    asked_shap_seconds = shap_rows * _shap_seconds_per_row(ml_specs, dl_specs, size)
    train_seconds = max(plan_seconds * limits.WORK_TRAIN_SHARE, plan_seconds - asked_shap_seconds)
    folds = limits.SELECTION_FOLDS

    def side_cost(specs: dict[str, Any], select: bool, scale: float) -> float:
        return _side_seconds(specs, size, scale, select, folds)

    def cost(ml_scale: float, dl_scale: float, splits: int) -> float:
        return splits * (side_cost(ml_specs, select_ml, ml_scale) + side_cost(dl_specs, select_dl, dl_scale))

    max_splits = th.SMALL_DATA_MAX_SPLITS if small_data else 1
    full_seconds = cost(1.0, 1.0, max_splits)
    selection_skipped = False
    if (select_ml or select_dl) and cost(1.0, 1.0, 1) > train_seconds:
        # The inner cross-validation costs each candidate `folds` fits: on a budget that cannot give every family
        # its full work on one split, the work goes to the final models and each side keeps its default family.
        select_ml = select_dl = False
        selection_skipped = True
        ml_specs, dl_specs = dict(list(ml_specs.items())[:1]), dict(list(dl_specs.items())[:1])
    splits, ml_scale, dl_scale = 1, 1.0, 1.0
    for candidate in range(max_splits, 0, -1):
        if candidate != 1 and candidate < th.SMALL_DATA_MIN_SPLITS:
            continue
        if cost(1.0, 1.0, candidate) <= train_seconds:
            splits = candidate
            break
    else:
        # One split; each side gets its share, and what one side does not need goes to the other.
        ml_full, dl_full = side_cost(ml_specs, select_ml, 1.0), side_cost(dl_specs, select_dl, 1.0)
        ml_room = min(ml_full, max(train_seconds * limits.WORK_ML_SHARE, train_seconds - dl_full))
        ml_scale = _largest_scale(lambda s: side_cost(ml_specs, select_ml, s), ml_room)
        dl_room = train_seconds - side_cost(ml_specs, select_ml, ml_scale)
        dl_scale = _largest_scale(lambda s: side_cost(dl_specs, select_dl, s), dl_room)
    ml = {key: _family_plan(key, spec, size, ml_scale) for key, spec in ml_specs.items()}
    dl = {key: _family_plan(key, spec, size, dl_scale) for key, spec in dl_specs.items()}
    spent = cost(ml_scale, dl_scale, splits)
    per_row = _shap_seconds_per_row(ml_specs, dl_specs, size)
    room = max(plan_seconds - spent, 0.0)
    fits = int(room / per_row) if per_row > 0 else shap_rows
    explained = min(shap_rows, max(fits, limits.SHAP_MIN_ROWS))
    below_full = any(plan.planned < plan.full for plan in (*ml.values(), *dl.values()))
    return WorkBudget(
        ml=ml, dl=dl, shap_rows=explained, shap_rows_asked=shap_rows, splits=splits,
        selection_folds=folds if (select_ml or select_dl) else 0, selection_skipped=selection_skipped,
        estimated_seconds=limits.WORK_FIXED_SECONDS + spent + explained * per_row,
        # the full work's SHAP rows as costed before a skipped selection dropped candidates: the same full work
        # whatever the budget, so the budget named for it does not depend on the budget asked
        full_seconds=limits.WORK_FIXED_SECONDS + full_seconds + asked_shap_seconds,
        max_seconds=float(max_seconds),
        reduced=below_full or splits < max_splits or selection_skipped or explained < shap_rows,
    )


def estimate_seconds(
    ml_specs: dict[str, Any], dl_specs: dict[str, Any], size: DataSize, max_seconds: float, shap_rows: int, *,
    small_data: bool, select_ml: bool = False, select_dl: bool = False,
) -> dict[str, float]:
    """What the page shows before training: the run's expected seconds and the budget at which nothing is cut.

    ``expected``: the planned work's cost on the reference machine (a busier
    machine takes longer; the safety net ends it at ``max_seconds``).
    ``budget_for_full_work``: the smallest time budget whose plan gives every
    family its full work and the most repeated splits.
    """
    budget = plan_work(ml_specs, dl_specs, size, max_seconds, shap_rows, small_data=small_data,
                       select_ml=select_ml, select_dl=select_dl)
    return {"expected": budget.estimated_seconds, "budget_for_full_work": budget_for_full_work(budget)}


def budget_for_full_work(budget: WorkBudget) -> int:
    """The smallest time budget (seconds) whose plan gives every family its full work on the most splits and
    explains every asked row: its plan share covers all of it, since training gets what SHAP does not need."""
    return math.ceil(budget.full_seconds / limits.WORK_PLAN_SHARE)


def work_done(plan: FamilyPlan, spec: Any, fitted: Any) -> dict[str, Any]:
    """What a fitted family did against its plan: units done, how it stopped, and whether it counts as trained."""
    if getattr(spec, "work", None) is None:
        return {"key": plan.key, "unit": plan.unit, "planned": plan.planned, "done": plan.planned, "full": plan.full,
                "stopped_by": STOPPED_COMPLETE, "cut_short": False, "starved": False}
    done, stopped_by = spec.work.done(fitted, plan.planned)
    starved = stopped_by != STOPPED_CONVERGED and done < plan.floor
    run = {"key": plan.key, "unit": plan.unit, "planned": plan.planned, "done": int(done), "full": plan.full,
           "stopped_by": stopped_by, "cut_short": stopped_by == STOPPED_CLOCK, "starved": bool(starved)}
    if stopped_by == STOPPED_CLOCK and _refit_cut(fitted):
        # The search ran its units; the clock stopped the refit on every training row that follows it, so
        # "60 of 60 epochs" would read as no cut at all: the record names the refit.
        run["cut_in"] = "refit"
    return run


def _refit_cut(fitted: Any) -> bool:
    try:
        last = fitted[-1]  # a pipeline's model step
    except (TypeError, IndexError, KeyError):
        last = fitted
    return bool(getattr(last, "refit_cut_by_clock_", False))


# --- helpers ----------------------------------------------------------------------------


def _family_plan(key: str, spec: Any, size: DataSize, scale: float) -> FamilyPlan:
    work: WorkSpec | None = getattr(spec, "work", None)
    if work is None:
        return FamilyPlan(key=key, unit="fit", full=1, planned=1, floor=1, estimated_seconds=0.0)
    planned = _scaled(work, size, scale)
    return FamilyPlan(key=key, unit=work.unit, full=work.full(size), planned=planned,
                      floor=min(work.floor(size), work.full(size)), estimated_seconds=work.seconds(size, planned))


def _fit_seconds(spec: Any, size: DataSize, scale: float) -> float:
    work: WorkSpec | None = getattr(spec, "work", None)
    return 0.0 if work is None else work.seconds(size, _scaled(work, size, scale))


def _shap_seconds_per_row(ml_specs: dict[str, Any], dl_specs: dict[str, Any], size: DataSize) -> float:
    """Seconds one explained row costs both sides: on average one candidate of each is explained."""
    total = sum(_shap_per_row(spec, size) for spec in (*ml_specs.values(), *dl_specs.values()))
    return total / max(1, (len(ml_specs) + len(dl_specs)) / 2)


def _shap_per_row(spec: Any, size: DataSize) -> float:
    work: WorkSpec | None = getattr(spec, "work", None)
    return 0.0 if work is None else work.shap_seconds_per_row(size)


def _largest_scale(cost: Callable[[float], float], room: float) -> float:
    """The largest factor in (0, 1] whose cost fits ``room`` (1 when the full work fits), by bisection."""
    if cost(1.0) <= room:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(30):  # deterministic, microseconds
        middle = (low + high) / 2.0
        low, high = (middle, high) if cost(middle) <= room else (low, middle)
    return low


def _side_seconds(specs: dict[str, Any], size: DataSize, scale: float, select: bool, folds: int) -> float:
    """One side on one split: its final fit (the dearest candidate when it chooses) plus its inner cross-validation."""
    total = max((_fit_seconds(spec, size, scale) for spec in specs.values()), default=0.0)
    if select and len(specs) > 1:
        fold_rows = min(max(1, size.rows * (folds - 1) // folds), limits.SELECTION_MAX_ROWS)
        fold_size = DataSize(rows=fold_rows, width=size.width, outputs=size.outputs, tokens=size.tokens,
                             classification=size.classification)
        total += folds * sum(_fit_seconds(spec, fold_size, scale) for spec in specs.values())
    return total
