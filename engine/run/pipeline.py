"""The one place that runs the whole flow: load → profile → recommend → train → evaluate → explain.

The command line, the pages and the benchmarks all call :func:`advise` and
:func:`compare`, so none of them re-implements the sequence. Which models
train and how they are explained comes from the registry
(:mod:`engine.registry`): the pipeline never asks which kind of data or which
family it holds.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
import pandas as pd

from engine.common import limits
from engine.common import thresholds as th
from engine.io.data import DataError
from engine.measure.budget import FamilyPlan, WorkBudget, budget_for_full_work, data_size, plan_work, work_done
from engine.measure.deadline import Deadline, SafetyNet
from engine.io.dataset import Dataset
from engine.measure.evaluate import UNFAIR, Split, Verdict
from engine.profile.leakage import leak_note
from engine.profile.profile import DatasetProfile
from engine.run.record import DatasetInfo, RunOptions, RunRecord, SplitSummary, now_iso, software_versions
from engine.advice.recommend import Advice, advise, timed_advise
from engine.registry import DataKindSpec, ModelSpec, TrainingContext, kind_for, kind_named, no_usable_feature
from engine.common.wording import count_units

__all__ = ["Advice", "ComparisonResult", "Progress", "EXPLAINER_MODES", "advise", "compare", "explain_again",
           "judge_fairness", "estimate_run"]
EXPLAINER_MODES = th.EXPLAINER_MODES

# OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep) is set in engine/__init__.py, before any runtime loads.

#: Progress callback: (message, overall fraction done in 0..1).
Progress = Callable[[str, float], None]


@dataclass
class ComparisonResult(RunRecord):
    """A run record plus what only a live session has: the fitted models and the training frames.

    Pages, the CLI and reports read only the :class:`RunRecord` fields;
    :func:`explain_again` needs the models and the background rows.
    """

    models: dict[str, Any] = field(repr=False, default_factory=dict)
    data_split: Split | None = field(repr=False, default=None)
    background_rows: pd.DataFrame | None = field(repr=False, default=None)  # SHAP's reference rows (training data)


def compare(
    data: Dataset | pd.DataFrame,
    target: str | None = None,
    *,
    seed: int = 0,
    max_seconds: float = th.DEFAULT_MAX_SECONDS,
    shap_rows: int = th.DEFAULT_SHAP_ROWS,
    ml_kind: str | None = None,
    dl_kind: str | None = None,
    progress: Progress | None = None,
    advice: Advice | None = None,
    explainer: str = "fast",
    deadline: Deadline | None = None,
    clock: str = "budget",
    **answer_overrides: Any,
) -> ComparisonResult:
    """Train both families on one split (or several, on small data), score them and explain both on the same rows.

    The data kind (tabular, text, …) is read from the profile through the
    registry; ``ml_kind``/``dl_kind`` pick one of that kind's families. None
    (or "auto") lets the side choose among its families by inner
    cross-validation on the training rows only (:func:`engine.measure.evaluate.select_family`):
    the classic side is the better of boosted trees and the linear model.

    ``max_seconds`` becomes *work* before any training
    (:func:`engine.measure.budget.plan_work`: boosting rounds, epochs or steps, solver
    iterations, SHAP rows, repeated splits), so the same data, options and seed
    give the same record on an idle or a busy machine. The clock
    (``deadline``, if given, else ``max_seconds`` from now) is a safety net:
    each stage may use its planned share of the time left, and a stage the
    clock stops is named in ``budget_stops`` with the work it did, and the
    verdict is then not a fair comparison. ``clock="safety"`` (the corpus run:
    its outcome must not depend on the machine's load) lets every stage use
    all the deadline has left, so only a run that overruns the whole deadline
    is cut; the default ``"budget"`` keeps each stage to its share, so a
    user's budget binds. Labelled tables over
    engine.common.limits.MAX_COMPARE_ROWS are sampled, stratified, with a note.
    ``explainer`` is ``"fast"`` (each model's fastest exact explainer) or
    ``"shared"`` (one SHAP definition for both).

    The classic and the deep side each warm up, train, score and (on one
    split) explain themselves, both at once in two threads (:func:`sides_at_once`;
    ``ADVISOR_SEQUENTIAL_SIDES=1``: one after the other, with the same record).

    ``stage_seconds`` holds "profile_and_split" and, inside it, "profile" and
    "recommend" (zero when ``advice`` is given), then "warm_up" (a first fit of
    each family on a few rows, once per process, so the training times exclude
    one-off start-up), "train_ml" (with its inner cross-validation), "train_dl",
    "evaluate", "repeated_splits" (small data), "explain_ml" and "explain_dl";
    each side's stages are its own seconds, and with both sides at once
    "both_sides_at_once" (and "explaining_both_at_once" after repeated splits)
    is the wall time of the two together, inside which theirs overlap.
    """
    from engine.measure.evaluate import decide_winner, labelled_xy, split_data

    began = time.perf_counter()
    dataset = _as_dataset(data)
    report = progress or (lambda message, fraction: None)
    stages: dict[str, float] = {}
    lap = _StageClock(stages)

    if max_seconds <= 0:
        raise DataError("the time budget must be a positive number of seconds")
    try:
        seed = limits.check_seed(seed)
    except ValueError as error:
        raise DataError(str(error)) from None
    if shap_rows < 1:
        raise DataError("the SHAP sample must hold at least one row")
    max_seconds, budget_note = limits.clamp(max_seconds, _budget_cap(), "the time budget (seconds)")
    shap_rows, shap_note = limits.clamp(shap_rows, limits.MAX_SHAP_ROWS, "the SHAP sample (rows)")
    deadline = deadline or Deadline(max_seconds)
    _check_mode(explainer)
    if clock not in CLOCK_MODES:
        raise DataError(f"unknown clock {clock!r}: choose {' or '.join(CLOCK_MODES)}")
    report("Profiling the data", 0.0)
    if advice is None:
        advice = timed_advise(dataset.frame, target, stages, **answer_overrides)
    else:
        stages.update(profile=0.0, recommend=0.0)
    # The training libraries may still be importing in the background (engine.measure.preload): finish that
    # before this thread imports any of them.
    from engine.measure import preload

    preload.wait()
    profile = advice.profile
    kind = kind_for(profile)
    candidates = {"ml": _candidates(kind.ml_models, kind.ml_model, ml_kind),
                  "dl": _candidates(kind.dl_models, kind.dl_model, dl_kind)}
    if (unusable := no_usable_feature(profile, kind)) is not None:
        raise DataError(unusable)
    features = kind.feature_columns(profile)
    wide_notes = _wide_table_notes(len(features), explainer) if kind.key == "tabular" else []
    if explainer == "shared" and len(features) > th.SHAP_SHARED_MAX_COLUMNS:
        explainer = "fast"
    for side in candidates.values():
        for spec in side.values():
            _load_explainers(spec, explainer)
    notes: list[str] = list(dataset.notes) + kind.notes(profile) + [n for n in (budget_note, shap_note) if n] + wide_notes
    notes += [leaks] if (leaks := leak_note(profile.suspected_leaks, profile.target)) else []
    frame = dataset.frame
    task = profile.task
    labelled = profile.labelled(frame)
    if missing := int(frame[profile.target].isna().sum()):
        notes.append(f"{missing} rows without a target value were left out")
    notes += [profile.left_out_note] if profile.left_out_note else []
    scale_out = _scales_out(candidates)
    try:
        cap = limits.max_train_rows(scale_out)
    except ValueError as error:
        raise DataError(str(error)) from None
    sample = limits.sample_for_training(labelled, profile.target, task.is_classification, max_rows=cap, seed=seed,
                                        limit_name=_cap_name(scale_out))
    notes += [sample.note] if sample.note else []
    X, y = labelled_xy(sample.frame, profile.target, features, task)
    used = set(features)  # a set: ``in features`` over 10,000 columns was quadratic
    unused = {name: kind_name for name, kind_name in profile.column_kinds.items() if name != profile.target and name not in used}
    if unused:
        notes.append("not used as features: " + ", ".join(f"{name} ({kind_name})" for name, kind_name in unused.items()))
    split = split_data(X, y, task, seed)
    parallel = _data_parallel_scale(scale_out, len(split.X_train))
    # No more rows than the test set holds: planning SHAP for 100 asked rows of wine's 36 test rows took training
    # time from the plan and named a budget for full work of 108 s instead of 84 s (819 s for 2,000 rows asked).
    kind_cap = kind.max_explained_rows or shap_rows
    possible = min(shap_rows, kind_cap, len(split.X_test))  # the rows SHAP could explain
    # Data-parallel, each worker's share of the rows is what one process trains on: the plan costs that.
    planned_rows = -(-len(split.X_train) // parallel.workers) if parallel else len(split.X_train)
    work = plan_work(candidates["ml"], candidates["dl"], data_size(profile, X, features, planned_rows),
                     max_seconds, possible, small_data=len(y) < th.SMALL_DATA_ROWS,
                     select_ml=len(candidates["ml"]) > 1, select_dl=len(candidates["dl"]) > 1)
    if work.selection_skipped:
        candidates = {family: dict(list(specs.items())[:1]) for family, specs in candidates.items()}
        budget, beyond = _full_budget(work)
        notes.append(f"each side keeps its default family ({', '.join(s.label for side in candidates.values() for s in side.values())}): "
                     f"choosing among them by inner cross-validation needs a time budget of about {budget}{beyond}")
    net = SafetyNet(deadline, work.estimated_seconds, whole=clock == "safety")
    # Drawn before training (the same draws the explanation used after it), so that each side can
    # explain itself as soon as it is trained.
    rng = np.random.default_rng(seed)
    positions = np.sort(rng.choice(len(split.X_test), size=min(work.shap_rows, possible), replace=False))
    explained = split.X_test.iloc[positions]
    background = split.X_train.iloc[np.sort(rng.choice(len(split.X_train), size=min(th.SHAP_BACKGROUND_ROWS, len(split.X_train)), replace=False))]
    labels = _output_names([str(c) for c in np.unique(split.y_train)] if task.is_classification else None, profile.target)
    lap("profile_and_split")

    # One split: each side warms up, trains, scores and explains itself, both sides at once (see
    # sides_at_once). Repeated splits (small data) decide the winner before anything is explained.
    shap_job = _ShapJob(explainer, _explainer_background(background, explainer), explained, labels, seed, deadline) \
        if work.splits == 1 else None
    sides = _run_sides(
        lambda family, side_report, side_net: _train_side(family, candidates[family], work, profile, split, seed,
                                                          side_net, side_report, shap_job, parallel),
        report, 0.02, 0.95 if shap_job else 0.7, net=net, work=work, stages=stages)
    lap.reset()
    trained = {family: (side.model, side.train_seconds, side.model_notes) for family, side in sides.items()}
    done = {family: side.done for family, side in sides.items()}
    selections: dict[str, dict[str, Any]] = {family: side.selection for family, side in sides.items() if side.selection}
    chosen = {family: side.spec for family, side in sides.items()}
    results = {family: side.scored for family, side in sides.items()}
    verdict = decide_winner(task, split.y_test.to_numpy(), results["ml"], results["dl"], seed, train_rows=len(split.X_train))
    lap.add("evaluate")
    split_done: list[dict[str, dict[str, Any]]] = []
    if work.splits > 1:
        verdict, resample_note, split_done = _repeated_splits_verdict(
            verdict, X, y, profile, seed, candidates, work, net, report, selections)
        notes.append(resample_note)
        if work.splits < th.SMALL_DATA_MAX_SPLITS:  # the budget, not the data, set how many
            budget, beyond = _full_budget(work)
            notes.append(f"the time budget of {max_seconds:,g} s plans {work.splits} of {th.SMALL_DATA_MAX_SPLITS} "
                         f"repeated splits; a budget of {budget} plans all {th.SMALL_DATA_MAX_SPLITS}{beyond}")
        lap("repeated_splits")
    elif len(y) < th.SMALL_DATA_ROWS:
        budget, beyond = _full_budget(work)
        notes.append(f"{len(y)} labelled rows are fewer than {th.SMALL_DATA_ROWS:,}, but the time budget of "
                     f"{max_seconds:,g} s plans one split only: the winner is decided on one split; "
                     f"a budget of {budget} repeats it on {th.SMALL_DATA_MAX_SPLITS} splits{beyond}")
    budget_stops, work_notes = _work_lines(work, done, split_done)
    notes += work_notes
    verdict = judge_fairness(verdict, done, split_done)
    for family, selection in selections.items():
        if selection.get("cut_short"):
            stops = f"the inner cross-validation of {_FAMILY_WORDS[family]} cut short by the clock ({', '.join(selection['cut_short'])})"
            budget_stops.append(stops)
            reason = f"the clock cut {_FAMILY_WORDS[family]}'s inner cross-validation short, so its choice of family is not sound"
            verdict = replace(verdict, winner=UNFAIR, conclusive=False, fair=False,
                              unfair_reason="; ".join(r for r in (verdict.unfair_reason.removesuffix(
                                  ": retrain with a larger time budget"), reason) if r) + ": retrain with a larger time budget")

    if kind_cap < shap_rows:
        notes.append(f"SHAP on {kind.label} data is capped at {kind_cap} rows (asked for {shap_rows})")
    if len(split.X_test) < min(shap_rows, kind_cap):  # not the kind's cap: "tabular data is capped at 36 rows"
        notes.append(f"SHAP can explain at most the {len(split.X_test)} test rows (asked for {shap_rows})")
    if work.shap_rows < possible:
        of = "rows asked for" if possible == shap_rows else "rows it could"
        notes.append(f"SHAP explains {work.shap_rows} of the {possible} {of}: "
                     f"the work a time budget of {max_seconds:,g} s plans (engine.measure.budget)")
    if len(explained) < len(split.X_test):
        notes.append(f"SHAP explains a sample of {len(explained)} of {len(split.X_test)} test rows")
    ml_model = trained["ml"][0]
    classes = [str(c) for c in ml_model.classes_] if task.is_classification else None
    if _output_names(classes, profile.target) != labels:  # both sides explained with np.unique(y_train) as classes
        raise RuntimeError("the classic model's classes differ from the labels both sides were explained with")
    result = ComparisonResult(
        dataset=DatasetInfo(name=dataset.name, sha256=dataset.sha256, rows=len(frame), columns=frame.shape[1], kind=kind.key),
        options=RunOptions(target=profile.target, seed=seed, max_seconds=float(max_seconds), shap_rows=int(shap_rows),
                           ml_model=chosen["ml"].key, dl_model=chosen["dl"].key, explainer=explainer),
        advice=advice, classes=classes,
        split=SplitSummary(train_rows=len(split.X_train), test_rows=len(split.X_test), seed=seed,
                           y_test=split.y_test.to_numpy(), explained_positions=positions),
        ml=results["ml"], dl=results["dl"], verdict=verdict,
        explanations={}, agreement=None,  # type: ignore[arg-type]  # filled by _explain_both below
        explained_rows=explained, stage_seconds=stages, notes=notes, budget_stops=budget_stops,
        software=software_versions(), created_at=now_iso(),
        work_budget=work.to_dict(), work_done={"first_split": done, "later_splits": split_done},
        selection=selections, training=_training_summary(chosen, len(split.X_train), parallel),
        models={"ml": ml_model, "dl": trained["dl"][0]}, data_split=split, background_rows=background,
    )
    if shap_job is None:
        _explain_both(result, explainer, report, lap, deadline)
    else:
        _explained_by_sides(result, sides, explainer, deadline)
    if any("SHAP explained" in stop for stop in result.budget_stops):
        result.verdict = judge_fairness(result.verdict, done, split_done, shap_cut=True)
    result.run_seconds = time.perf_counter() - began  # the stages overlap and nest: their sum is not the run's
    report("Done", 1.0)
    return result


def estimate_run(
    frame: pd.DataFrame, profile: DatasetProfile, max_seconds: float, shap_rows: int = th.DEFAULT_SHAP_ROWS,
    ml_kind: str | None = None, dl_kind: str | None = None, on_cluster: bool | None = None,
) -> dict[str, Any]:
    """What the page can show before training: seconds expected, and the budgets at which the fight is fair and full.

    Nothing is trained or timed: the plan of :func:`engine.measure.budget.plan_work`
    for this data and these options. ``expected``: the planned work's seconds
    on the reference machine. ``fair_budget``: the smallest of
    ``ESTIMATE_BUDGETS`` whose plan starves no family (no verdict is named
    below it). ``budget_for_full_work``: the budget that gives every family its
    full work and, on small data, every repeated split. ``on_cluster``: plan as
    on Ray (the row and time caps there, each data-parallel worker's share of
    the rows); None: whether this process is connected to Ray.
    """
    from engine.models import distributed

    kind = kind_for(profile)
    candidates = {"ml": _candidates(kind.ml_models, kind.ml_model, ml_kind),
                  "dl": _candidates(kind.dl_models, kind.dl_model, dl_kind)}
    features = kind.feature_columns(profile)
    labelled = int(profile.labelled_mask(frame).sum()) if profile.target in frame else len(frame)
    on_cluster = distributed.on_cluster() if on_cluster is None else on_cluster
    scale_out = _scales_out(candidates, on_cluster)
    try:
        rows = min(labelled, limits.max_train_rows(scale_out))
        most_seconds = limits.max_train_seconds(on_cluster)
        train_rows = int(rows * (1 - th.TEST_FRACTION))
        # As compare plans it: data-parallel, each worker's share of the rows is what one process trains on
        workers = distributed.train_workers() if scale_out and train_rows > limits.MAX_COMPARE_ROWS else 1
    except ValueError as error:
        raise DataError(str(error)) from None
    size = data_size(profile, frame, features, -(-train_rows // workers))
    cap = min(shap_rows, kind.max_explained_rows or shap_rows, max(rows - train_rows, 1))  # at most the test rows

    def plan(seconds: float) -> WorkBudget:
        return plan_work(candidates["ml"], candidates["dl"], size, seconds, cap, small_data=rows < th.SMALL_DATA_ROWS,
                         select_ml=len(candidates["ml"]) > 1, select_dl=len(candidates["dl"]) > 1)

    work = plan(max_seconds)
    fair = next((b for b in ESTIMATE_BUDGETS if b <= most_seconds
                 and not any(p.starved for p in (*plan(b).ml.values(), *plan(b).dl.values()))), None)
    return {"expected": round(work.estimated_seconds, 1), "fair_budget": fair,
            "budget_for_full_work": budget_for_full_work(work), "plan": work.to_dict()}


#: How the clock treats a comparison: "budget" (each stage its planned share: the user's budget binds) or
#: "safety" (a safety net over the whole run only: the planned work decides; the corpus run).
CLOCK_MODES = ("budget", "safety")

#: Budgets (seconds) :func:`estimate_run` tries for the smallest fair one: the page's slider steps and the CLI's cap.
#: Those above 600 s are asked for only on a Ray cluster (engine.common.limits.max_train_seconds).
ESTIMATE_BUDGETS = (10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1_200, 1_800, 2_400, 3_600)


def _candidates(models: tuple[ModelSpec, ...], named: Callable[[str | None], ModelSpec], key: str | None) -> dict[str, ModelSpec]:
    """The families a side may use: every one of the kind's (``key`` None or "auto": chosen by inner CV), or the one named."""
    if key is None or key == "auto":
        return {spec.key: spec for spec in models}
    spec = named(key)
    return {spec.key: spec}


def _budget_cap() -> float:
    """The largest time budget here: ADVISOR_MAX_TRAIN_SECONDS, else ten minutes in-process and an hour on Ray."""
    from engine.models import distributed

    try:
        return limits.max_train_seconds(distributed.on_cluster())
    except ValueError as error:
        raise DataError(str(error)) from None


def _scales_out(candidates: dict[str, dict[str, ModelSpec]], on_cluster: bool | None = None) -> bool:
    """On a Ray cluster (None: this process is connected to one), whether every family can train above the row cap."""
    from engine.models import distributed

    on_cluster = distributed.on_cluster() if on_cluster is None else on_cluster
    return on_cluster and all(distributed.trains_all_rows(list(side)) for side in candidates.values())


def _cap_name(scale_out: bool) -> str:
    """The name of the row cap that applies, for the sampling note."""
    if os.environ.get(limits.MAX_TRAIN_ROWS_ENV, "").strip():
        return limits.MAX_TRAIN_ROWS_ENV
    return "engine.common.limits.CLUSTER_MAX_TRAIN_ROWS" if scale_out else "engine.common.limits.MAX_COMPARE_ROWS"


def _data_parallel_scale(scale_out: bool, train_rows: int) -> Any:
    """The workers that train the families with a data-parallel trainer, or None (training rows within one process's cap)."""
    if not scale_out or train_rows <= limits.MAX_COMPARE_ROWS:
        return None
    from engine.models import distributed

    try:
        return distributed.scale_for()
    except ValueError as error:
        raise DataError(str(error)) from None


def _training_summary(chosen: dict[str, ModelSpec], train_rows: int, parallel: Any) -> dict[str, Any]:
    """Per side: the rows its final model trained on, on how many workers, and by what."""
    from engine.models import distributed

    summary: dict[str, Any] = {}
    for family, spec in chosen.items():
        spread = parallel is not None and spec.key in distributed.TRAINERS
        summary[family] = {
            "rows": int(train_rows), "workers": parallel.workers if spread else 1,
            "trainer": distributed.TRAINERS[spec.key] if spread else "one process",
            "device": ("gpu" if parallel.use_gpu else "cpu") if spread else None,
        }
    return summary


def _fit_planned(
    spec: ModelSpec, plan: FamilyPlan, profile: DatasetProfile, seed: int, X: pd.DataFrame, y: pd.Series,
    net: "SafetyNet", report: Callable[[str, float], None], parallel: Any = None,
) -> tuple[Any, list[str]]:
    """Build ``spec``, bound it to its planned work, and fit it with the clock's safety net for its share.

    With ``parallel`` (an engine.models.distributed.Scale) and a family that has a data-parallel
    trainer, the fit runs on that many Ray Train workers.
    """
    allowed = net.allow(plan.estimated_seconds)
    model = spec.build(profile, seed, allowed)
    if spec.work is not None:
        spec.work.apply(model, plan.planned)
    if parallel is not None:
        from engine.models import distributed

        if spec.key in distributed.TRAINERS:
            report(f"training on all {len(X):,} rows on {parallel.workers} Ray workers", 0.0)
            return distributed.fit_data_parallel(spec.key, model, X, y, parallel, seed, allowed)
    context = TrainingContext(profile=profile, seed=seed, max_seconds=allowed, report=report)
    return model, spec.fit(model, X, y, context)


def _choose(
    specs: dict[str, ModelSpec], work: WorkBudget, family: str, X_train: pd.DataFrame, y_train: pd.Series,
    profile: DatasetProfile, seed: int, net: "SafetyNet", report: Callable[[str, float], None],
) -> tuple[ModelSpec, dict[str, Any]]:
    """The side's family: the only one, or the best by inner cross-validation on the training rows (and its scores)."""
    from engine.measure import evaluate

    if len(specs) == 1:
        return next(iter(specs.values())), {}

    cut: list[str] = []

    def fit_candidate(key: str, X: pd.DataFrame, y: pd.Series) -> Any:
        plan = work.for_family(family, key)
        model, _ = _fit_planned(specs[key], plan, profile, seed, X, y, net, lambda detail, fraction: None)
        if work_done(plan, specs[key], model)["cut_short"]:
            cut.append(key)  # a fold fit the clock stopped would bias the choice: the record says so
        return model

    report("choosing the family by inner cross-validation on the training rows", 0.0)
    selection = evaluate.select_family(list(specs), fit_candidate, X_train, y_train, profile.task,
                                       folds=work.selection_folds, seed=seed, max_rows=limits.SELECTION_MAX_ROWS)
    return specs[selection.chosen], selection.to_dict() | {"cut_short": sorted(set(cut))}


def judge_fairness(verdict: Verdict, done: dict[str, dict[str, Any]], later: list[dict[str, dict[str, Any]]] | None = None,
                   *, shap_cut: bool = False) -> Verdict:
    """The verdict, or "not a fair comparison" when the clock cut a side short or a side was starved of work.

    A side the safety net stopped (on any split), or one that neither
    converged nor did the least work that counts as trained (a network at 1-2
    epochs, boosting at a few rounds), makes the comparison unfair: the winner
    is "unfair", ``conclusive`` false, and the reason names the side and its work.
    """
    reasons = []
    for family in ("ml", "dl"):
        runs = [done[family]] + [split[family] for split in (later or []) if family in split]
        side = _FAMILY_WORDS[family]
        cut = [run for run in runs if run.get("cut_short")]
        starved = [run for run in runs if run.get("starved")]
        if cut:
            run = cut[0]
            if run.get("cut_in") == "refit":
                reasons.append(f"the clock cut {side}'s refit on every training row short (after its search ran "
                               f"{count_units(run['done'], run['unit'])})")
            else:
                reasons.append(f"the clock cut {side} short ({run['done']:,} of {count_units(run['planned'], run['unit'])})")
        elif starved:
            run = starved[0]
            reasons.append(f"{side} was far from trained ({count_units(run['done'], run['unit'])} of the {run['full']:,} it takes)")
    if shap_cut:
        reasons.append("the clock cut the SHAP explanation short")
    if not reasons or (shap_cut and len(reasons) == 1 and verdict.fair):
        # A SHAP cut does not change the models the winner was judged on; it is reported in the budget.
        return verdict
    return replace(verdict, winner=UNFAIR, conclusive=False, fair=False,
                   unfair_reason="; ".join(reasons) + ": retrain with a larger time budget")


def _full_budget(work: WorkBudget) -> tuple[str, str]:
    """("N s", the budget for the full work; ", more than the cap …" when N is above this installation's cap):
    every note that names that budget says both."""
    needed, cap = budget_for_full_work(work), _budget_cap()
    beyond = "" if needed <= cap else f", more than the {cap:,g} s this installation allows: {limits.MAX_TRAIN_SECONDS_ENV} raises it"
    return f"{needed:,} s", beyond


def _work_lines(work: WorkBudget, done: dict[str, dict[str, Any]],
                later: list[dict[str, dict[str, Any]]]) -> tuple[list[str], list[str]]:
    """The clock's cuts (``budget_stops``) and the notes on planned work below each family's full work."""
    stops, notes = [], []
    for family in ("ml", "dl"):
        side = _FAMILY_WORDS[family]
        runs = [done[family]] + [split[family] for split in later if family in split]
        for index, run in enumerate(runs):
            if run["cut_short"]:
                where = "" if index == 0 else f" on split {index + 1}"
                stops.append(f"{side} training cut short by the clock{where}: " + (
                    "its refit on every training row, after the search's " if run.get("cut_in") == "refit" else "")
                    + f"{run['done']} of {run['planned']} planned {run['unit']}")
        first = done[family]
        if first["planned"] < first["full"]:
            budget, beyond = _full_budget(work)
            notes.append(f"{side}: the time budget plans {first['planned']} of {first['full']} {first['unit']} "
                         f"(engine.measure.budget; a budget of {budget} plans them all{beyond})")
    return stops, notes


def _repeated_splits_verdict(
    first: Verdict, X: pd.DataFrame, y: pd.Series, profile: DatasetProfile, seed: int,
    candidates: dict[str, dict[str, ModelSpec]], work: WorkBudget, net: "SafetyNet", report: Progress,
    selections: dict[str, dict[str, Any]],
) -> tuple[Verdict, str, list[dict[str, dict[str, Any]]]]:
    """The winner over ``work.splits`` random splits, pooled into one corrected resampled t-test.

    The first split is the one already trained; split ``j`` uses the split
    seed ``seed + j * SPLIT_SEED_STRIDE`` (:func:`engine.measure.evaluate.split_seeds`),
    so runs with different seeds share no split and pool cleanly. Each split
    chooses its families again on its own training rows (nested), and trains
    them with the planned work.
    """
    from engine.measure.evaluate import resampled_verdict, split_data, split_seeds, verdict_score

    differences = [first.difference]
    seeds = split_seeds(seed, work.splits)
    split_done: list[dict[str, dict[str, Any]]] = []
    n_train = n_test = 0
    for index, split_seed in enumerate(seeds[1:], start=2):
        report(f"Repeating the comparison on split {index} of {work.splits}", 0.7)
        split = split_data(X, y, profile.task, split_seed)
        n_train, n_test = len(split.X_train), len(split.X_test)
        scores, this_split = {}, {}
        for family in ("ml", "dl"):
            spec, selection = _choose(candidates[family], work, family, split.X_train, split.y_train, profile,
                                      split_seed, net, lambda detail, fraction: None)
            if selection:
                selections[family].setdefault("later_splits", []).append(selection["chosen"])
                selections[family]["cut_short"] = sorted(set(selections[family].get("cut_short", []) + selection["cut_short"]))
            plan = work.for_family(family, spec.key)
            model, _ = _fit_planned(spec, plan, profile, split_seed, split.X_train, split.y_train, net,
                                    lambda detail, fraction: None)
            this_split[family] = work_done(plan, spec, model)
            scores[family] = verdict_score(model, split, profile.task, first.metric)
        split_done.append(this_split)
        differences.append(scores["ml"] - scores["dl"])
    why = f"{len(y):,} labelled rows are fewer than {th.SMALL_DATA_ROWS:,}"
    verdict = resampled_verdict(first, differences, n_train, n_test, split_seeds=seeds)
    return verdict, (f"{why}: the winner is decided over {verdict.splits} random 80/20 splits "
                     f"(corrected resampled t-test, p = {verdict.p_value:.3g}); the metrics shown are the first split's"), split_done


def explain_again(result: ComparisonResult, explainer: str, progress: Progress | None = None) -> ComparisonResult:
    """The same comparison explained in another SHAP mode, on the same rows: nothing is retrained."""
    _check_mode(explainer)
    if not result.models:
        raise DataError("this saved run has no models to explain again; train again to switch the explainer")
    columns = len(result.advice.profile.feature_columns)
    if explainer == "shared" and columns > th.SHAP_SHARED_MAX_COLUMNS:
        raise DataError(f"the shared SHAP definition is limited to {th.SHAP_SHARED_MAX_COLUMNS:,} columns "
                        f"(this table has {columns:,}): its cost grows with twice the columns per explained row")
    again = replace(result, explanations={}, stage_seconds=dict(result.stage_seconds),
                    notes=[n for n in result.notes if not n.startswith(_SHARED_NOTE)])
    _explain_both(again, explainer, progress or (lambda message, fraction: None), _StageClock(again.stage_seconds))
    return again


_SHARED_NOTE = "shared SHAP definition"


def _wide_table_notes(columns: int, explainer: str) -> list[str]:
    """What the explanation of a wide table does: every column explained, the top ones drawn; shared mode replaced."""
    if columns < th.WIDE_TABLE_COLUMNS:
        return []
    notes = [f"wide table: SHAP values are computed for all {columns:,} feature columns; the charts and the report "
             "show the columns with the largest mean |SHAP| (the JSON holds every column)"]
    if explainer == "shared" and columns > th.SHAP_SHARED_MAX_COLUMNS:
        notes.append(f"the shared SHAP definition was asked for, but it is limited to {th.SHAP_SHARED_MAX_COLUMNS:,} "
                     f"columns (its cost grows with twice the columns per explained row; {columns:,} would take hours): "
                     "each model is explained by its fast exact explainer instead (tree SHAP, deep SHAP)")
    return notes
_FAMILY_WORDS = {"ml": "classic ML", "dl": "deep learning"}
# Model specs (by kind and key) already fitted once in this process: their one-off start-up is behind them.
_WARM: set[tuple[str, str]] = set()
_WARM_UP_ROWS = 256
_WARM_UP_COLUMNS = 64
_WARM_UP_SECONDS = 0.05
# Rows SHAP explains first to measure its cost per row when a deadline bounds the run.
_SHAP_PROBE_ROWS = 10


def _as_dataset(data: Dataset | pd.DataFrame) -> Dataset:
    return data if isinstance(data, Dataset) else Dataset.from_frame(data)


def _check_mode(explainer: str) -> None:
    if explainer not in EXPLAINER_MODES:
        raise DataError(f"unknown explainer {explainer!r}: choose fast or shared")


def _load_explainers(spec: ModelSpec, explainer: str) -> None:
    """Fail before training if a family has no explainer for the mode; load shap now so its import is not timed as explaining."""
    if explainer not in spec.explainers:
        raise DataError(f"{spec.label} has no {explainer!r} explainer; choose {' or '.join(spec.explainers)}")
    import shap  # noqa: F401
    import torch._dynamo  # noqa: F401  (the first torch optimiser imports it: seconds, not training time)


def _warm_up(spec: ModelSpec, profile: Any, X: pd.DataFrame, y: pd.Series, seed: int) -> None:
    """Fit ``spec`` once on a few rows, for a moment, so its measured training excludes one-off start-up.

    The first fit of a network in a process pays for torch's start-up (thread
    pools, allocator, optimiser kernels): 1.6 s against 0.3 s for an identical
    second fit. Done once per model family and process; the seconds go to the
    "warm_up" stage, apart from the training times.
    """
    key = (profile.task.value, spec.key)
    if key in _WARM:
        return
    profile, X = _narrow_for_warm_up(profile, X)
    context = TrainingContext(profile=profile, seed=seed, max_seconds=_WARM_UP_SECONDS, report=lambda *_: None)
    try:
        spec.fit(spec.build(profile, seed, _WARM_UP_SECONDS), X.iloc[:_WARM_UP_ROWS], y.iloc[:_WARM_UP_ROWS], context)
    except Exception:  # noqa: BLE001  best effort: a few rows may not fit (one class only); the real fit reports errors
        return
    _WARM.add(key)


def _narrow_for_warm_up(profile: DatasetProfile, X: pd.DataFrame) -> tuple[DatasetProfile, pd.DataFrame]:
    """A wide plain table's first _WARM_UP_COLUMNS feature columns, for the warm-up fit.

    What the warm-up is for (torch's thread pools and kernels, LightGBM's start)
    does not grow with the columns; fitting all 10,000 of them paid the
    per-column work (binning, medians) twice. Tables whose features include text
    or pixel columns keep their shape (their models need every column).
    """
    from engine.profile.profile import FEATURE_KINDS

    features = profile.feature_columns
    if len(features) <= _WARM_UP_COLUMNS or list(X.columns) != features:
        return profile, X
    keep = set(features[:_WARM_UP_COLUMNS])
    columns = [c for c in profile.columns if c.name == profile.target or c.name in keep or c.kind not in FEATURE_KINDS]
    return replace(profile, columns=columns), X[features[:_WARM_UP_COLUMNS]]


class _StageClock:
    """Called with a stage's name, records the seconds since the previous call (or creation)."""

    def __init__(self, stages: dict[str, float]) -> None:
        self.stages = stages
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = now - self._last
        self._last = now

    def add(self, stage: str) -> None:
        """Like a call, but adds the seconds to what ``stage`` already holds."""
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._last
        self._last = now

    def reset(self) -> None:
        """Start the next stage now (the time since the last call was recorded elsewhere)."""
        self._last = time.perf_counter()


def _explain_both(
    result: ComparisonResult, explainer: str, report: Progress, lap: Callable[[str], None], deadline: Deadline | None = None
) -> None:
    """Explain both trained models of ``result`` on its explained rows, in place (both at once, see sides_at_once).

    With a ``deadline``, each side is first explained on a few rows to measure
    its cost per row, and the explained rows are cut to what the time left
    allows (at least those few, which are then the explanation).
    """
    kind: DataKindSpec = kind_named(result.dataset.kind)
    specs = {"ml": kind.ml_model(result.options.ml_model), "dl": kind.dl_model(result.options.dl_model)}
    background = result.background_rows
    if background is None:
        raise DataError("this run holds no background rows to explain against")
    job = _ShapJob(explainer, _explainer_background(background, explainer), result.explained_rows,
                   _output_labels(result), result.seed, deadline)
    start = time.perf_counter()

    def explain_side(family: str, side_report: Progress, _net: SafetyNet | None) -> _Side:
        side = _Side(spec=specs[family], model=result.models[family])
        clock = time.perf_counter()
        side.explanation, side.explained = _explain_side(family, side.spec, side.model, job, side_report)
        side.stages[f"explain_{family}"] = time.perf_counter() - clock
        return side

    sides = _run_sides(explain_side, report, 0.72, 0.98)
    if sides_at_once():
        result.stage_seconds["explaining_both_at_once"] = time.perf_counter() - start
    for family in FAMILIES:
        result.stage_seconds[f"explain_{family}"] = sides[family].stages[f"explain_{family}"]
    _explained_by_sides(result, sides, explainer, deadline)


#: Set to 1 to train and explain the two sides one after the other (the equality test's reference).
SEQUENTIAL_ENV = "ADVISOR_SEQUENTIAL_SIDES"
FAMILIES = ("ml", "dl")
_SIDE_MESSAGES = {"ml": ("Training the classic ML model", "Explaining the classic ML model (SHAP)"),
                  "dl": ("Training the neural network", "Explaining the neural network (SHAP)")}
# A side's own progress: training fills this share of it, explaining the rest.
_SIDE_TRAIN_SHARE = 0.75
# While both sides run, a thread waiting for Python's GIL gets it within 0.5 ms instead of 5 ms (the
# default). LightGBM boosts in C++ with the GIL released and needs it only between rounds; behind the
# network's Python training loop it waited up to a whole interval each round (the convoy effect:
# 200 rounds, up to 1 s). A LightGBM fit next to a busy Python thread, measured under load on this
# 2-core machine: 9.3 and 10.4 s at 0.5 ms against 10.1 and 11.7 s at 5 ms.
_GIL_SWITCH_SECONDS = 0.0005


def sides_at_once() -> bool:
    """Whether the classic and the deep side train and explain at the same time (two threads).

    LightGBM and scikit-learn run one thread per estimator (``n_jobs=1``) and
    the network one torch thread (set once per process:
    :func:`engine.models.torch_base.set_process_threads`), so on two cores each
    side has its own, and a comparison takes about as long as its slower side.
    Both sides see the same split, seed and planned work, so the record is
    the one the sequential order gives. ``ADVISOR_SEQUENTIAL_SIDES=1`` (or a
    single core) runs them one after the other.
    """
    if os.environ.get(SEQUENTIAL_ENV, "").strip() not in ("", "0"):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores > 1


@dataclass
class _Side:
    """What one side (classic or deep) produced: its chosen family, fitted model, work, score and explanation."""

    spec: ModelSpec
    model: Any = None
    train_seconds: float = 0.0
    model_notes: list[str] = field(default_factory=list)
    done: dict[str, Any] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)
    scored: Any = None
    explanation: Any = None
    explained: int = 0
    stages: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _ShapJob:
    """What each side needs to explain itself: the mode, the reference rows, the rows to explain and the clock."""

    explainer: str
    background: pd.DataFrame
    rows: pd.DataFrame
    labels: list[str]
    seed: int
    deadline: Deadline | None


class _OtherSideFailed(BaseException):
    """Raised in a side's progress report once the other side failed or was cancelled, so that both stop."""


class _SidesProgress:
    """Both sides' progress reports, serialised, as one overall fraction between ``start`` and ``end``.

    Each side reports its own lines ("Training the neural network: epoch 3
    ...") and its own fraction; the overall fraction is their mean, so the bar
    moves forward whichever side reports. Once a side fails (or the callback
    raised Cancelled in it), the other side's next report raises too.
    """

    def __init__(self, report: Progress, start: float, end: float) -> None:
        self._report, self._start, self._end = report, start, end
        self._lock = threading.Lock()
        self._fractions = dict.fromkeys(FAMILIES, 0.0)
        self.stopped = threading.Event()

    def side(self, family: str) -> Progress:
        def report(message: str, fraction: float) -> None:
            if self.stopped.is_set():
                raise _OtherSideFailed()
            with self._lock:
                self._fractions[family] = max(self._fractions[family], min(max(fraction, 0.0), 1.0))
                mean = sum(self._fractions.values()) / len(self._fractions)
                self._report(message, self._start + (self._end - self._start) * mean)

        return report


def _run_sides(
    side_work: Callable[[str, Progress, SafetyNet | None], _Side], report: Progress, start: float, end: float, *,
    net: SafetyNet | None = None, work: WorkBudget | None = None, stages: dict[str, float] | None = None,
) -> dict[str, _Side]:
    """``side_work`` for the classic and the deep side: at once (the classic side in a thread), or in turn.

    Errors and cancellation stop both sides: the first error is raised once
    both have stopped. With ``net``, each side at once gets a safety net over
    the plan less the other side's work; the shared ``net`` is then charged
    with both. ``stages`` (when given) receives each side's stage seconds and,
    at once, the wall time of the two together.
    """
    progress = _SidesProgress(report, start, end)
    started = time.perf_counter()
    outcome: dict[str, _Side] = {}
    if not sides_at_once():
        for family in FAMILIES:
            outcome[family] = side_work(family, progress.side(family), net)
    else:
        nets: dict[str, SafetyNet | None] = dict.fromkeys(FAMILIES, None)
        if net is not None and work is not None:
            planned = {family: _side_planned_seconds(work, family) for family in FAMILIES}
            nets = {family: SafetyNet(net.deadline, net.left - planned[other], whole=net.whole)
                    for family, other in (("ml", "dl"), ("dl", "ml"))}
        _settle_torch_threads()
        if sys.getswitchinterval() > _GIL_SWITCH_SECONDS:
            # Process-wide and left so: another session's sides may be running.
            sys.setswitchinterval(_GIL_SWITCH_SECONDS)
        errors: dict[str, BaseException] = {}

        def run(family: str) -> None:
            try:
                outcome[family] = side_work(family, progress.side(family), nets[family])
            except BaseException as error:  # noqa: BLE001  re-raised below, once both sides stopped
                errors[family] = error
                progress.stopped.set()

        # The deep side stays in the calling thread: torch may set its thread count only in the main thread.
        classic = threading.Thread(target=run, args=("ml",), name="compare-classic-side", daemon=True)
        classic.start()
        try:
            run("dl")
        finally:
            classic.join()
        if errors:
            raise next((e for e in errors.values() if not isinstance(e, _OtherSideFailed)), next(iter(errors.values())))
        if net is not None and work is not None:
            net.allow(sum(_side_planned_seconds(work, family) for family in FAMILIES))
    if stages is not None:
        for key in ("warm_up", "train_ml", "train_dl", "evaluate", "explain_ml", "explain_dl"):
            values = [side.stages[key] for side in outcome.values() if key in side.stages]
            if values:
                stages[key] = stages.get(key, 0.0) + sum(values)
        if sides_at_once():
            stages["both_sides_at_once"] = time.perf_counter() - started
    return outcome


def _side_planned_seconds(work: WorkBudget, family: str) -> float:
    """The plan's seconds for one side's training, its inner cross-validation counted generously."""
    plans = work.ml if family == "ml" else work.dl
    seconds = sum(plan.estimated_seconds for plan in plans.values())
    return seconds * (1 + work.selection_folds) if len(plans) > 1 else seconds


def _settle_torch_threads() -> None:
    """In the main thread (the command line, a script), fix torch's thread count for the process before both sides run.

    A server sets it at start-up (views.state); training threads never change it.
    """
    if threading.current_thread() is threading.main_thread():
        from engine.models.torch_base import set_process_threads

        set_process_threads()


def _train_side(
    family: str, specs: dict[str, ModelSpec], work: WorkBudget, profile: DatasetProfile, split: Split, seed: int,
    net: SafetyNet | None, report: Progress, shap_job: _ShapJob | None, parallel: Any = None,
) -> _Side:
    """One side, start to end: warm up, choose its family, train with its planned work, score it, explain it."""
    from engine.measure.evaluate import score_model

    training, _ = _SIDE_MESSAGES[family]
    report(training, 0.0)
    side_net = net or SafetyNet(Deadline(limits.MAX_TRAIN_SECONDS), work.estimated_seconds)
    clock = time.perf_counter()
    stages: dict[str, float] = {}
    for spec in specs.values():
        _warm_up(spec, profile, split.X_train, split.y_train, seed)
    stages["warm_up"] = time.perf_counter() - clock
    clock = time.perf_counter()
    step = (lambda detail, fraction: report(f"{training}: {detail}", _SIDE_TRAIN_SHARE * fraction))
    spec, selection = _choose(specs, work, family, split.X_train, split.y_train, profile, seed, side_net, step)
    plan = work.for_family(family, spec.key)
    started = time.perf_counter()
    model, model_notes = _fit_planned(spec, plan, profile, seed, split.X_train, split.y_train, side_net, step, parallel)
    side = _Side(spec=spec, model=model, train_seconds=time.perf_counter() - started, model_notes=model_notes,
                 done=work_done(plan, spec, model), selection=selection, stages=stages)
    stages[f"train_{family}"] = time.perf_counter() - clock
    clock = time.perf_counter()
    side.scored = score_model(family, spec.display_name(model), model, split, profile.task, side.train_seconds, seed)
    side.scored.notes.extend(model_notes)
    stages["evaluate"] = time.perf_counter() - clock
    if shap_job is not None:
        clock = time.perf_counter()
        side.explanation, side.explained = _explain_side(family, spec, model, shap_job, report)
        stages[f"explain_{family}"] = time.perf_counter() - clock
    return side


def _explain_side(family: str, spec: ModelSpec, model: Any, job: _ShapJob, report: Progress) -> tuple[Any, int]:
    """SHAP of one side on the job's rows: the explanation and how many rows it covers.

    With a deadline, the first few rows measure the cost per row and the rest
    is cut to what fits in the time left (at least those few). One after the
    other, the classic side, which goes first, may take half of it.
    """
    _, message = _SIDE_MESSAGES[family]
    report(message, _SIDE_TRAIN_SHARE)

    def explain(rows: pd.DataFrame) -> Any:
        return spec.explainers[job.explainer](model, job.background, rows, job.labels, job.seed)

    wanted = len(job.rows)
    if job.deadline is None or wanted <= _SHAP_PROBE_ROWS:
        return explain(job.rows), wanted
    start = time.perf_counter()
    explanation = explain(job.rows.iloc[:_SHAP_PROBE_ROWS])
    per_row = (time.perf_counter() - start) / _SHAP_PROBE_ROWS  # fixed costs included: errs on the safe side
    share = 1.0 if sides_at_once() or family == FAMILIES[-1] else 0.5
    keep = max(min(int(job.deadline.remaining() * share / max(per_row, 1e-9)), wanted), _SHAP_PROBE_ROWS)
    if keep > _SHAP_PROBE_ROWS:
        explanation = explanation.extended_by(explain(job.rows.iloc[_SHAP_PROBE_ROWS:keep]))
    return explanation, keep


def _explained_by_sides(result: ComparisonResult, sides: dict[str, _Side], explainer: str, deadline: Deadline | None) -> None:
    """Put both sides' explanations in ``result``: on the rows both explained, with the clock's cut noted."""
    from engine.explain.explanation import agreement

    if explainer == "shared":
        background = result.background_rows
        rows = min(len(background), th.SHAP_SHARED_BACKGROUND_ROWS) if background is not None else 0
        result.notes.append(
            f"{_SHARED_NOTE}: both models explained against the same {rows} background "
            "training rows (interventional, one masker, raw output scale)"
        )
    wanted = len(result.explained_rows)
    keep = min(side.explained for side in sides.values())
    explanations = {family: _first_rows(sides[family].explanation, keep) for family in FAMILIES}
    if keep < wanted:
        result.explained_rows = result.explained_rows.iloc[:keep]
        result.split.explained_positions = result.split.explained_positions[:keep]
        # The user's budget, not the clock the job was handed (the CLI passes what is left after loading).
        result.notes.append(
            f"SHAP explains {keep} of the {wanted} rows asked for: "
            f"the time budget of {result.options.max_seconds:,g} s left room for no more"
        )
        result.budget_stops.append(f"SHAP explained {keep} of the {wanted} rows asked for")
    result.explanations = explanations
    result.agreement = agreement(explanations["ml"], explanations["dl"])
    result.explainer_mode = explainer
    result.options = replace(result.options, explainer=explainer)


def _first_rows(explanation: Any, rows: int) -> Any:
    """An explanation cut to its first ``rows`` rows (the rows the other side also explained)."""
    from engine.explain.explanation import PixelAttribution, TokenAttribution

    if len(explanation.values) <= rows:
        return explanation
    pixels = explanation.pixels
    return replace(
        explanation, values=explanation.values[:rows], outputs=explanation.outputs[:rows],
        tokens=[TokenAttribution(t.column, t.tokens[:rows], t.values[:rows]) for t in explanation.tokens],
        pixels=None if pixels is None else PixelAttribution(pixels.values[:rows], pixels.channels),
    )


def _explainer_background(background: pd.DataFrame, explainer: str) -> pd.DataFrame:
    """The reference rows SHAP uses: all of them, or for "shared" a subset of the same seeded sample, for both models."""
    return background.iloc[: th.SHAP_SHARED_BACKGROUND_ROWS] if explainer == "shared" else background


def _output_labels(result: ComparisonResult) -> list[str]:
    return _output_names(result.classes, result.target)


def _output_names(classes: list[str] | None, target: str) -> list[str]:
    from engine.explain.explanation import output_names

    return output_names(classes, target)
