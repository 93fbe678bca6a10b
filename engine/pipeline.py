"""The one place that runs the whole flow: load → profile → recommend → train → evaluate → explain.

The command line, the pages and the benchmarks all call :func:`advise` and
:func:`compare`, so none of them re-implements the sequence. Which models
train and how they are explained comes from the registry
(:mod:`engine.registry`): the pipeline never asks which kind of data or which
family it holds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
import pandas as pd

from engine import limits
from engine import thresholds as th
from engine.data import DataError
from engine.deadline import Deadline
from engine.dataset import Dataset
from engine.evaluate import Split, Verdict
from engine.profile import DatasetProfile
from engine.record import DatasetInfo, RunOptions, RunRecord, SplitSummary, now_iso, software_versions
from engine.recommend import Advice, advise, timed_advise
from engine.registry import DataKindSpec, ModelSpec, TrainingContext, kind_for, kind_named
from engine.wording import count

__all__ = ["Advice", "ComparisonResult", "Progress", "EXPLAINER_MODES", "advise", "compare", "explain_again"]
EXPLAINER_MODES = th.EXPLAINER_MODES

# LightGBM, scikit-learn and torch each run an OpenMP thread pool. By default
# idle OpenMP threads spin; on a small shared machine (2 cores, another process
# busy) spinning pools starve each other and a 1-second LightGBM fit took 150 s
# in our benchmark. Sleeping idle threads cost almost nothing when the machine
# is quiet. OpenMP reads this once, when its runtime loads (torch, lightgbm and
# scikit-learn are imported lazily below), and a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
    **answer_overrides: Any,
) -> ComparisonResult:
    """Train both families on one split, score them and explain both on the same rows.

    The data kind (tabular, text, …) is read from the profile through the
    registry; ``ml_kind``/``dl_kind`` pick one of that kind's families (None:
    its default). ``max_seconds`` bounds the whole comparison (``deadline``, if
    given, instead: the command line starts it before loading the file): the
    classic model trains for at most 30% of what is left after the split, the
    network for 60% of what is left after that, and SHAP explains as many of
    the ``shap_rows`` test rows (the same sample for both) as the rest allows
    (see engine.limits.DEADLINE_OVERHEAD_SECONDS). Labelled tables over
    engine.limits.MAX_COMPARE_ROWS are sampled, stratified, with a note.
    ``explainer`` is ``"fast"`` (each model's fastest exact explainer) or
    ``"shared"`` (one SHAP definition for both).

    ``stage_seconds`` holds "profile_and_split" and, inside it, "profile" and
    "recommend" (zero when ``advice`` is given), then "warm_up" (a first fit of
    each family on a few rows, once per process, so the training times exclude
    one-off start-up), "train_ml", "train_dl", "evaluate", "explain_ml" and
    "explain_dl". ``budget_stops`` says what the time budget cut short (empty:
    the budget was not binding).
    """
    from engine.evaluate import decide_winner, labelled_xy, score_model, split_data

    dataset = _as_dataset(data)
    report = progress or (lambda message, fraction: None)
    stages: dict[str, float] = {}
    lap = _StageClock(stages)

    if max_seconds <= 0:
        raise DataError("the time budget must be a positive number of seconds")
    if shap_rows < 1:
        raise DataError("the SHAP sample must hold at least one row")
    max_seconds, budget_note = limits.clamp(max_seconds, limits.MAX_TRAIN_SECONDS, "the time budget (seconds)")
    shap_rows, shap_note = limits.clamp(shap_rows, limits.MAX_SHAP_ROWS, "the SHAP sample (rows)")
    deadline = deadline or Deadline(max_seconds)
    _check_mode(explainer)
    report("Profiling the data", 0.0)
    if advice is None:
        advice = timed_advise(dataset.frame, target, stages, **answer_overrides)
    else:
        stages.update(profile=0.0, recommend=0.0)
    profile = advice.profile
    kind = kind_for(profile)
    ml_spec, dl_spec = kind.ml_model(ml_kind), kind.dl_model(dl_kind)
    features = kind.feature_columns(profile)
    if not features:
        ignored = ", ".join(f"{name} ({kind_name})" for name, kind_name in profile.ignored_columns.items())
        raise DataError(f"no column the models can use: {ignored or 'none besides the target'}")
    _load_explainers(ml_spec, dl_spec, explainer)
    notes: list[str] = list(dataset.notes) + kind.notes(profile) + [n for n in (budget_note, shap_note) if n]
    frame = dataset.frame
    task = profile.task
    labelled = frame[frame[profile.target].notna()]
    if len(labelled) < len(frame):
        notes.append(f"{len(frame) - len(labelled)} rows without a target value were left out")
    sample = limits.sample_for_training(labelled, profile.target, task.is_classification, seed=seed)
    notes += [sample.note] if sample.note else []
    X, y = labelled_xy(sample.frame, profile.target, features, task)
    unused = {name: kind_name for name, kind_name in profile.column_kinds.items() if name != profile.target and name not in features}
    if unused:
        notes.append("not used as features: " + ", ".join(f"{name} ({kind_name})" for name, kind_name in unused.items()))
    split = split_data(X, y, task, seed)
    lap("profile_and_split")

    report("Warming up the training libraries", 0.04)
    for spec in (ml_spec, dl_spec):
        _warm_up(spec, profile, split.X_train, split.y_train, seed)
    lap("warm_up")

    trained: dict[str, tuple[Any, float, list[str]]] = {}
    budget_stops: list[str] = []
    budgets: dict[str, float] = {}
    for spec, message, start_at, share in ((ml_spec, "Training the classic ML model", 0.05, 0.25),
                                           (dl_spec, "Training the neural network", 0.3, 0.4)):
        report(message, start_at)
        budget = budgets[spec.family] = deadline.share(_TRAIN_SHARES[spec.family])
        model = spec.build(profile, seed, budget)
        context = TrainingContext(
            profile=profile, seed=seed, max_seconds=budget,
            report=lambda detail, done, m=message, a=start_at, s=share: report(f"{m}: {detail}", a + s * done),
        )
        started = time.perf_counter()
        model_notes = spec.fit(model, split.X_train, split.y_train, context)
        trained[spec.family] = (model, time.perf_counter() - started, model_notes)
        budget_stops += [f"{_FAMILY_WORDS[spec.family]} training {stop}" for stop in context.budget_stops]
        lap(f"train_{spec.family}")

    report("Scoring both on the test set", 0.7)
    results = {}
    for spec in (ml_spec, dl_spec):
        model, seconds, model_notes = trained[spec.family]
        results[spec.family] = score_model(spec.family, spec.display_name(model), model, split, task, seconds, seed)
        results[spec.family].notes.extend(model_notes)
    verdict = decide_winner(task, split.y_test.to_numpy(), results["ml"], results["dl"], seed)
    lap("evaluate")
    if len(y) < th.SMALL_DATA_ROWS:
        fit_seconds = {family: trained[family][1] for family in trained}
        verdict, resample_note = _repeated_splits_verdict(
            verdict, X, y, profile, seed, (ml_spec, dl_spec), budgets, fit_seconds, deadline, report)
        notes.append(resample_note)
        if verdict.splits < th.SMALL_DATA_MAX_SPLITS:  # the budget decided how many splits fit
            budget_stops.append(f"the verdict was repeated on {verdict.splits} of up to {th.SMALL_DATA_MAX_SPLITS} splits")
        lap("repeated_splits")

    rng = np.random.default_rng(seed)
    explained_rows = min(shap_rows, kind.max_explained_rows or shap_rows)
    if explained_rows < shap_rows:
        notes.append(f"SHAP on {kind.label} data is capped at {explained_rows} rows (asked for {shap_rows})")
    positions = np.sort(rng.choice(len(split.X_test), size=min(explained_rows, len(split.X_test)), replace=False))
    explained = split.X_test.iloc[positions]
    background = split.X_train.iloc[np.sort(rng.choice(len(split.X_train), size=min(th.SHAP_BACKGROUND_ROWS, len(split.X_train)), replace=False))]
    if len(explained) < len(split.X_test):
        notes.append(f"SHAP explains a sample of {len(explained)} of {len(split.X_test)} test rows")
    ml_model = trained["ml"][0]
    classes = [str(c) for c in ml_model.classes_] if task.is_classification else None
    result = ComparisonResult(
        dataset=DatasetInfo(name=dataset.name, sha256=dataset.sha256, rows=len(frame), columns=frame.shape[1], kind=kind.key),
        options=RunOptions(target=profile.target, seed=seed, max_seconds=float(max_seconds), shap_rows=int(shap_rows),
                           ml_model=ml_spec.key, dl_model=dl_spec.key, explainer=explainer),
        advice=advice, classes=classes,
        split=SplitSummary(train_rows=len(split.X_train), test_rows=len(split.X_test), seed=seed,
                           y_test=split.y_test.to_numpy(), explained_positions=positions),
        ml=results["ml"], dl=results["dl"], verdict=verdict,
        explanations={}, agreement=None,  # type: ignore[arg-type]  # filled by _explain_both below
        explained_rows=explained, stage_seconds=stages, notes=notes, budget_stops=budget_stops,
        software=software_versions(), created_at=now_iso(),
        models={"ml": ml_model, "dl": trained["dl"][0]}, data_split=split, background_rows=background,
    )
    _explain_both(result, explainer, report, lap, deadline)
    report("Done", 1.0)
    return result


def _repeated_splits_verdict(
    first: Verdict, X: pd.DataFrame, y: pd.Series, profile: DatasetProfile, seed: int, specs: tuple[ModelSpec, ModelSpec],
    budgets: dict[str, float], fit_seconds: dict[str, float], deadline: Deadline, report: Progress,
) -> tuple[Verdict, str]:
    """On small data, the winner over repeated random splits (engine.thresholds.SMALL_DATA_ROWS).

    The first split is the one already trained; later splits (seeds seed+1,
    seed+2, …) retrain both families, each for at most twice its first fit
    time, as many as the first split's cost says fit in SMALL_DATA_TIME_SHARE of
    the time left (stopping early if that time runs out). Fewer than
    SMALL_DATA_MIN_SPLITS splits keep the first split's verdict.
    """
    from engine.evaluate import resampled_verdict, split_data, verdict_score

    differences = [first.difference]
    allowed = th.SMALL_DATA_TIME_SHARE * deadline.remaining()
    # Decided up front from the first split's cost, so a generous budget always gives the same splits.
    planned = min(th.SMALL_DATA_MAX_SPLITS, 1 + int(allowed / max(sum(fit_seconds.values()), 1e-3)))
    stop_at = time.perf_counter() + allowed
    n_train = n_test = 0
    while len(differences) < planned and time.perf_counter() < stop_at:
        split_seed = seed + len(differences)
        report(f"Repeating the comparison on split {len(differences) + 1} of {planned}", 0.7)
        split = split_data(X, y, profile.task, split_seed)
        n_train, n_test = len(split.X_train), len(split.X_test)
        scores = {}
        for spec in specs:
            budget = min(budgets[spec.family], max(2.0 * fit_seconds[spec.family], 1.0))
            model = spec.build(profile, split_seed, budget)
            spec.fit(model, split.X_train, split.y_train,
                     TrainingContext(profile=profile, seed=split_seed, max_seconds=budget, report=lambda detail, done: None))
            scores[spec.family] = verdict_score(model, split, profile.task, first.metric)
        differences.append(scores["ml"] - scores["dl"])
    why = f"{len(y):,} labelled rows are fewer than {th.SMALL_DATA_ROWS:,}"
    if len(differences) < th.SMALL_DATA_MIN_SPLITS:
        return first, (f"{why}, but only {count(len(differences), 'split')} fit in the time budget: "
                       "the winner is decided on one split")
    verdict = resampled_verdict(first, differences, n_train, n_test)
    return verdict, (f"{why}: the winner is decided over {verdict.splits} random 80/20 splits "
                     f"(corrected resampled t-test, p = {verdict.p_value:.3g}); the metrics shown are the first split's")


def explain_again(result: ComparisonResult, explainer: str, progress: Progress | None = None) -> ComparisonResult:
    """The same comparison explained in another SHAP mode, on the same rows: nothing is retrained."""
    _check_mode(explainer)
    if not result.models:
        raise DataError("this saved run has no models to explain again; train again to switch the explainer")
    again = replace(result, explanations={}, stage_seconds=dict(result.stage_seconds),
                    notes=[n for n in result.notes if not n.startswith(_SHARED_NOTE)])
    _explain_both(again, explainer, progress or (lambda message, fraction: None), _StageClock(again.stage_seconds))
    return again


_SHARED_NOTE = "shared SHAP definition"
_FAMILY_WORDS = {"ml": "classic ML", "dl": "deep learning"}
# Model specs (by kind and key) already fitted once in this process: their one-off start-up is behind them.
_WARM: set[tuple[str, str]] = set()
_WARM_UP_ROWS = 256
_WARM_UP_SECONDS = 0.05
# Shares of the time left that each training stage may use (compare's docstring); the rest is for scoring and SHAP.
_TRAIN_SHARES = {"ml": 0.3, "dl": 0.6}
# Rows SHAP explains first to measure its cost per row when a deadline bounds the run.
_SHAP_PROBE_ROWS = 10


def _as_dataset(data: Dataset | pd.DataFrame) -> Dataset:
    return data if isinstance(data, Dataset) else Dataset.from_frame(data)


def _check_mode(explainer: str) -> None:
    if explainer not in EXPLAINER_MODES:
        raise DataError(f"unknown explainer {explainer!r}: choose fast or shared")


def _load_explainers(ml_spec: ModelSpec, dl_spec: ModelSpec, explainer: str) -> None:
    """Fail before training if a family has no explainer for the mode; load shap now so its import is not timed as explaining."""
    for spec in (ml_spec, dl_spec):
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
    context = TrainingContext(profile=profile, seed=seed, max_seconds=_WARM_UP_SECONDS, report=lambda *_: None)
    try:
        spec.fit(spec.build(profile, seed, _WARM_UP_SECONDS), X.iloc[:_WARM_UP_ROWS], y.iloc[:_WARM_UP_ROWS], context)
    except Exception:  # noqa: BLE001  best effort: a few rows may not fit (one class only); the real fit reports errors
        return
    _WARM.add(key)


class _StageClock:
    """Called with a stage's name, records the seconds since the previous call (or creation)."""

    def __init__(self, stages: dict[str, float]) -> None:
        self.stages = stages
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = now - self._last
        self._last = now


def _explain_both(
    result: ComparisonResult, explainer: str, report: Progress, lap: Callable[[str], None], deadline: Deadline | None = None
) -> None:
    """Explain both trained models of ``result`` on its explained rows, in place.

    With a ``deadline``, both are first explained on a few rows to measure the
    cost per row, and the explained rows are cut to what the time left allows
    (at least those few, which are then the explanation).
    """
    from engine.explanation import agreement, output_names

    kind: DataKindSpec = kind_named(result.dataset.kind)
    specs = {"ml": kind.ml_model(result.options.ml_model), "dl": kind.dl_model(result.options.dl_model)}
    background = result.background_rows
    if background is None:
        raise DataError("this run holds no background rows to explain against")
    if explainer == "shared":
        # A subset of the same seeded sample: the same rows for both models.
        background = background.iloc[: th.SHAP_SHARED_BACKGROUND_ROWS]
        result.notes.append(
            f"{_SHARED_NOTE}: both models explained against the same {len(background)} background "
            "training rows (interventional, one masker, raw output scale)"
        )
    labels = output_names(result.classes, result.target)

    def explain(family: str, rows: pd.DataFrame) -> Any:
        return specs[family].explainers[explainer](result.models[family], background, rows, labels, result.seed)

    explanations: dict[str, Any] = {}
    wanted = len(result.explained_rows)
    if deadline is not None and wanted > _SHAP_PROBE_ROWS:
        report("Measuring the cost of SHAP", 0.72)
        probe = result.explained_rows.iloc[:_SHAP_PROBE_ROWS]
        start = time.perf_counter()
        probes = {family: explain(family, probe) for family in ("ml", "dl")}
        per_row = (time.perf_counter() - start) / len(probe)  # fixed costs included: errs on the safe side
        fits = int(deadline.remaining() / max(per_row, 1e-9))
        if fits < wanted:
            keep = max(fits, len(probe))
            result.explained_rows = result.explained_rows.iloc[:keep]
            result.split.explained_positions = result.split.explained_positions[:keep]
            result.notes.append(
                f"SHAP explains {keep} of the {wanted} rows asked for: "
                f"the time budget of {deadline.seconds:g} s left room for no more"
            )
            result.budget_stops.append(f"SHAP explained {keep} of the {wanted} rows asked for")
        # The probe rows are the first rows of the explanation: only the rest is explained below.
        explanations = probes
    for family, message, fraction in (("ml", "Explaining the classic ML model (SHAP)", 0.75),
                                      ("dl", "Explaining the neural network (SHAP)", 0.87)):
        report(message, fraction)
        done = len(explanations[family].values) if family in explanations else 0
        if done < len(result.explained_rows):
            rest = explain(family, result.explained_rows.iloc[done:])
            explanations[family] = explanations[family].extended_by(rest) if done else rest
        lap(f"explain_{family}")
    result.explanations = explanations
    result.agreement = agreement(explanations["ml"], explanations["dl"])
    result.explainer_mode = explainer
    result.options = replace(result.options, explainer=explainer)
