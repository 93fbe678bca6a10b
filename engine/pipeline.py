"""The one place that runs the whole flow: load → profile → recommend → train → evaluate → explain.

The command line, the pages and the benchmarks all call :func:`advise` and
:func:`compare`, so none of them re-implements the sequence.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
import pandas as pd

from engine import thresholds as th
from engine.data import DataError
from engine.profile import DatasetProfile, profile_dataset
from engine.recommend import Answers, Flip, Recommendation, answers_from_profile, recommend, what_would_flip

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
class Advice:
    """The criteria-based answer for one dataset."""

    profile: DatasetProfile
    answers: Answers
    recommendation: Recommendation
    flips: list[Flip]

    def to_dict(self) -> dict[str, Any]:
        return self.recommendation.to_dict() | {
            "what_would_flip": [{"change": f.description, "recommendation": f.choice} for f in self.flips],
            "profile": self.profile.to_dict(),
        }


@dataclass
class ComparisonResult:
    """Both families trained, scored and explained on the same split."""

    advice: Advice
    split: Any  # engine.evaluate.Split
    ml: Any  # engine.evaluate.ModelResult
    dl: Any
    verdict: Any  # engine.evaluate.Verdict
    explanations: dict[str, Any]  # "ml"/"dl" -> engine.explain.ModelExplanation
    agreement: Any  # engine.explain.Agreement
    explained_rows: pd.DataFrame
    classes: list[str] | None
    models: dict[str, Any] = field(repr=False, default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    explainer_mode: str = "fast"  # "fast" | "shared" (EXPLAINER_MODES)
    background_rows: pd.DataFrame | None = field(repr=False, default=None)  # SHAP's reference rows (training data)
    seed: int = 0

    @property
    def agreed_with_recommendation(self) -> bool:
        """The recommended family did at least as well; a close call agrees only with a tie."""
        choice, winner = self.advice.recommendation.choice, self.verdict.winner
        if choice == "either":
            return winner == "tie"
        return winner in (choice, "tie")

    def to_dict(self) -> dict[str, Any]:
        """The command-line JSON of DESIGN.md §4."""
        v = self.verdict
        return {
            "recommendation": self.advice.to_dict(),
            "task": self.advice.profile.task.value,
            "target": self.advice.profile.target,
            "split": self.split.to_dict(),
            "models": {"ml": self.ml.to_dict(), "dl": self.dl.to_dict()},
            "winner": v.winner,
            "verdict": {"metric": v.metric, "difference_ml_minus_dl": v.difference, "interval": list(v.interval), "rule": v.rule},
            "agreed_with_recommendation": self.agreed_with_recommendation,
            "explanations": {
                "ml": self.explanations["ml"].to_dict(),
                "dl": self.explanations["dl"].to_dict(),
                "agreement": self.agreement.to_dict(),
                "rows_explained": len(self.explained_rows),
                "mode": self.explainer_mode,
            },
            "stage_seconds": self.stage_seconds,
            "notes": self.notes,
        }


def advise(frame: pd.DataFrame, target: str | None = None, **answer_overrides: Any) -> Advice:
    """Profile ``frame`` and recommend from the criteria; answers can be overridden by keyword."""
    return _timed_advise(frame, target, {}, **answer_overrides)


def _timed_advise(frame: pd.DataFrame, target: str | None, stages: dict[str, float], **answer_overrides: Any) -> Advice:
    """:func:`advise`, writing the seconds of its "profile" and "recommend" stages into ``stages``."""
    start = time.perf_counter()
    profile = profile_dataset(frame, target)
    stages["profile"] = time.perf_counter() - start
    start = time.perf_counter()
    answers = answers_from_profile(profile, **answer_overrides)
    advice = Advice(profile=profile, answers=answers, recommendation=recommend(answers), flips=what_would_flip(answers))
    stages["recommend"] = time.perf_counter() - start
    return advice


def compare(
    frame: pd.DataFrame,
    target: str | None = None,
    *,
    seed: int = 0,
    max_seconds: float = th.DEFAULT_MAX_SECONDS,
    shap_rows: int = th.DEFAULT_SHAP_ROWS,
    ml_kind: str = "boosting",
    progress: Progress | None = None,
    advice: Advice | None = None,
    explainer: str = "fast",
    **answer_overrides: Any,
) -> ComparisonResult:
    """Train both families on one split, score them and explain both on the same rows.

    ``max_seconds`` bounds each family's training; ``shap_rows`` bounds how many
    test rows are explained (the same sample for both). ``explainer`` is
    ``"fast"`` (each model's fastest exact explainer) or ``"shared"`` (one
    SHAP definition for both: same background rows, same masker, same raw
    scale; see :mod:`engine.explain`).

    ``stage_seconds`` holds "profile_and_split" and, inside it, "profile" and
    "recommend" (zero when ``advice`` is given), then "train_ml", "train_dl",
    "evaluate", "explain_ml" and "explain_dl".
    """
    # Heavy imports stay here so `recommend` answers without loading torch or shap;
    # engine.explain (shap) loads now so its import is not timed as an explain stage.
    import engine.explain  # noqa: F401
    from engine.evaluate import decide_winner, score_model, split_data
    from engine.models import make_dl_model, make_ml_model

    report = progress or (lambda message, fraction: None)
    stages: dict[str, float] = {}
    lap = _StageClock(stages)

    if max_seconds <= 0:
        raise DataError("the time budget must be a positive number of seconds")
    if shap_rows < 1:
        raise DataError("the SHAP sample must hold at least one row")
    if explainer not in EXPLAINER_MODES:
        raise DataError(f"unknown explainer {explainer!r}: choose fast or shared")
    report("Profiling the data", 0.0)
    if advice is None:
        advice = _timed_advise(frame, target, stages, **answer_overrides)
    else:
        stages.update(profile=0.0, recommend=0.0)
    profile = advice.profile
    if not profile.feature_columns:
        ignored = ", ".join(f"{name} ({kind})" for name, kind in profile.ignored_columns.items())
        raise DataError(f"no column the tabular models can use: {ignored or 'none besides the target'}")
    notes: list[str] = []
    labelled = frame[frame[profile.target].notna()]
    if len(labelled) < len(frame):
        notes.append(f"{len(frame) - len(labelled)} rows without a target value were left out")
    if profile.ignored_columns:
        shown = ", ".join(f"{name} ({kind})" for name, kind in profile.ignored_columns.items())
        notes.append(f"not used as features: {shown}")
    task = profile.task
    X = labelled[profile.feature_columns]
    y = labelled[profile.target]
    if task.is_classification:
        y = y.astype(str)
    split = split_data(X, y, task, seed)
    lap("profile_and_split")

    report("Training the classic ML model", 0.05)
    ml_pipeline = make_ml_model(profile, kind=ml_kind, seed=seed)
    start = time.perf_counter()
    ml_fit_params: dict[str, Any] = {}
    if ml_kind == "boosting":
        from engine.models.ml import time_budget_callback

        def on_iteration(done: int, total: int) -> None:
            if done % 20 == 0:
                report(f"Training the classic ML model: tree {done} of {total}", 0.05 + 0.25 * done / max(total, 1))

        ml_fit_params["model__callbacks"] = [time_budget_callback(max_seconds, on_iteration)]
    ml_pipeline.fit(split.X_train, split.y_train, **ml_fit_params)
    ml_seconds = time.perf_counter() - start
    lap("train_ml")

    report("Training the neural network", 0.3)
    dl_pipeline = make_dl_model(profile, seed=seed, max_seconds=max_seconds)
    network = dl_pipeline[-1]

    def on_epoch(epoch: int, max_epochs: int, loss: float) -> None:
        report(f"Training the neural network: epoch {epoch} (validation loss {loss:.4f})",
               0.3 + 0.4 * min(epoch / max_epochs, 1.0))

    start = time.perf_counter()
    dl_pipeline.fit(split.X_train, split.y_train, model__on_epoch=on_epoch)
    dl_seconds = time.perf_counter() - start
    lap("train_dl")

    report("Scoring both on the test set", 0.7)
    ml_name = "LightGBM gradient-boosted trees" if ml_kind == "boosting" else "Linear model"
    ml_result = score_model("ml", ml_name, ml_pipeline, split, task, ml_seconds, seed)
    hidden = "-".join(str(h) for h in network.hidden_sizes)
    dl_result = score_model("dl", f"PyTorch MLP ({hidden})", dl_pipeline, split, task, dl_seconds, seed)
    dl_result.notes.append(
        f"trained {network.n_epochs_} epochs with batches of {network.batch_size_} at learning rate "
        f"{network.learning_rate_:g}, stopped by {network.stopped_by_.replace('_', ' ')}"
    )
    if network.batch_size_ == th.LARGE_DATA_DL_BATCH_SIZE:
        notes.append(
            f"{len(split.X_train):,} training rows: the network trains with batches of "
            f"{network.batch_size_} at learning rate {network.learning_rate_:g} (large-data setting)"
        )
    verdict = decide_winner(task, split.y_test.to_numpy(), ml_result, dl_result, seed)
    lap("evaluate")

    rng = np.random.default_rng(seed)
    explained = split.X_test.iloc[np.sort(rng.choice(len(split.X_test), size=min(shap_rows, len(split.X_test)), replace=False))]
    background = split.X_train.iloc[np.sort(rng.choice(len(split.X_train), size=min(th.SHAP_BACKGROUND_ROWS, len(split.X_train)), replace=False))]
    if len(explained) < len(split.X_test):
        notes.append(f"SHAP explains a sample of {len(explained)} of {len(split.X_test)} test rows")
    classes = [str(c) for c in ml_pipeline.classes_] if task.is_classification else None
    result = ComparisonResult(
        advice=advice, split=split, ml=ml_result, dl=dl_result, verdict=verdict,
        explanations={}, agreement=None, explained_rows=explained, background_rows=background,
        classes=classes, models={"ml": ml_pipeline, "dl": dl_pipeline}, stage_seconds=stages, notes=notes,
        seed=seed,
    )
    _explain_both(result, explainer, report, lap)
    report("Done", 1.0)
    return result


def explain_again(result: ComparisonResult, explainer: str, progress: Progress | None = None) -> ComparisonResult:
    """The same comparison explained in another SHAP mode, on the same rows: nothing is retrained."""
    if explainer not in EXPLAINER_MODES:
        raise DataError(f"unknown explainer {explainer!r}: choose fast or shared")
    again = replace(result, explanations={}, stage_seconds=dict(result.stage_seconds),
                    notes=[n for n in result.notes if not n.startswith(_SHARED_NOTE)])
    _explain_both(again, explainer, progress or (lambda message, fraction: None), _StageClock(again.stage_seconds))
    return again


_SHARED_NOTE = "shared SHAP definition"


class _StageClock:
    """Called with a stage's name, records the seconds since the previous call (or creation)."""

    def __init__(self, stages: dict[str, float]) -> None:
        self.stages = stages
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = now - self._last
        self._last = now


def _explain_both(result: ComparisonResult, explainer: str, report: Progress, lap: Callable[[str], None]) -> None:
    """Explain both trained models of ``result`` on its explained rows, in place."""
    from engine.explain import agreement, explain_model, output_names

    background = result.background_rows
    if explainer == "shared":
        # A subset of the same seeded sample: the same rows for both models.
        background = background.iloc[: th.SHAP_SHARED_BACKGROUND_ROWS]
        result.notes.append(
            f"{_SHARED_NOTE}: both models explained against the same {len(background)} background "
            "training rows (interventional, one Independent masker, raw output scale)"
        )
    labels = output_names(result.classes, result.advice.profile.target)
    explanations = {}
    for family, message, fraction in (("ml", "Explaining the classic ML model (SHAP)", 0.75),
                                      ("dl", "Explaining the neural network (SHAP)", 0.87)):
        report(message, fraction)
        explanations[family] = explain_model(
            result.models[family], background, result.explained_rows, labels, explainer=explainer, seed=result.seed
        )
        lap(f"explain_{family}")
    result.explanations = explanations
    result.agreement = agreement(explanations["ml"], explanations["dl"])
    result.explainer_mode = explainer
