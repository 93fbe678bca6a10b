"""The six criteria of DESIGN.md §2 and the weighted vote between ML and DL.

Each criterion maps one answer to a score in [-1, 1] (negative favours
classic ML, positive deep learning). The recommendation is the weighted mean
of the scores, so it is as transparent as the advice it gives.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any, Callable

import pandas as pd

from engine import thresholds as th
from engine.profile import DatasetProfile, profile_dataset
from engine.registry import decide_kind, kind_named
from engine.wording import choice_label

__all__ = [
    "DataKind",
    "Transparency",
    "ProblemType",
    "Answers",
    "Criterion",
    "Recommendation",
    "Flip",
    "Advice",
    "advise",
    "timed_advise",
    "answers_from_profile",
    "recommend",
    "what_would_flip",
]


class DataKind(str, Enum):
    TABULAR = "tabular"
    TEXT = "text"
    IMAGES = "images"
    AUDIO = "audio"
    MIXED = "mixed"  # a table with free text beside more structured columns (engine.kinds.text.MIXED)

    @property
    def structured(self) -> bool:
        """Scored as structured data: a table, or a table with some text (mostly its columns)."""
        return self in (DataKind.TABULAR, DataKind.MIXED)


class Transparency(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ProblemType(str, Enum):
    """Problem families named by the article, grouped by the side they favour."""

    BUSINESS_PREDICTION = "business_prediction"  # credit checks, fraud, maintenance, churn
    FORECASTING = "forecasting"
    VISION = "vision"
    SPEECH = "speech"
    LANGUAGE = "language"  # translation, sentiment
    OTHER = "other"


@dataclass(frozen=True)
class Answers:
    """What the user tells us (or what a profile suggests) about the data and constraints."""

    data_kind: DataKind = DataKind.TABULAR
    labelled_rows: int = 1_000
    transparency: Transparency = Transparency.MEDIUM
    gpu: bool = False
    domain_experts: bool | None = None  # None: unknown
    problem_type: ProblemType = ProblemType.OTHER


@dataclass(frozen=True)
class Criterion:
    name: str
    value: str
    score: float  # -1 (classic ML) .. +1 (deep learning)
    weight: float
    reason: str

    @property
    def favours(self) -> str:
        if self.score <= -th.NEUTRAL_SCORE:
            return "ml"
        if self.score >= th.NEUTRAL_SCORE:
            return "dl"
        return "neutral"

    @property
    def contribution(self) -> float:
        """Signed weight this criterion adds to the vote (negative: ML)."""
        return self.score * self.weight

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "favours": self.favours,
            "weight": self.weight,
            "score": round(self.score, 4),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Recommendation:
    choice: str  # "ml" | "dl" | "either"
    confidence: float  # 0.5..1: 0.5 + |score| / 2 (see recommend)
    score: float  # weighted mean score, -1 (ML) .. +1 (DL)
    criteria: list[Criterion]
    answers: Answers

    @property
    def label(self) -> str:
        return choice_label(self.choice)

    def to_dict(self) -> dict[str, Any]:
        answers = {k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(self.answers).items()}
        return {
            "recommendation": self.choice,
            "confidence": round(self.confidence, 4),
            "score": round(self.score, 4),
            "criteria": [c.to_dict() for c in self.criteria],
            "answers": answers,
        }


@dataclass(frozen=True)
class Flip:
    """A single change of answer that would change the recommendation."""

    description: str
    answers: Answers
    choice: str


@dataclass
class Advice:
    """The criteria-based answer for one dataset: its profile, the answers, the recommendation and what would flip it."""

    profile: DatasetProfile
    answers: Answers
    recommendation: Recommendation
    flips: list[Flip]

    def to_dict(self) -> dict[str, Any]:
        return self.recommendation.to_dict() | {
            "what_would_flip": [{"change": f.description, "recommendation": f.choice} for f in self.flips],
            "profile": self.profile.to_dict(),
            "data_kind_decision": decide_kind(self.profile).to_dict(),
        }


def advise(data: Any, target: str | None = None, **answer_overrides: Any) -> Advice:
    """Profile the data (a DataFrame or an :class:`engine.dataset.Dataset`) and recommend from the criteria.

    Answers can be overridden by keyword (``transparency=Transparency.HIGH``, …).
    """
    return timed_advise(getattr(data, "frame", data), target, {}, **answer_overrides)


def timed_advise(frame: pd.DataFrame, target: str | None, stages: dict[str, float], **answer_overrides: Any) -> Advice:
    """:func:`advise`, writing the seconds of its "profile" and "recommend" stages into ``stages``."""
    start = time.perf_counter()
    profile = profile_dataset(frame, target)
    stages["profile"] = time.perf_counter() - start
    start = time.perf_counter()
    answers = answers_from_profile(profile, **answer_overrides)
    advice = Advice(profile=profile, answers=answers, recommendation=recommend(answers), flips=what_would_flip(answers))
    stages["recommend"] = time.perf_counter() - start
    return advice


def answers_from_profile(profile: DatasetProfile, **overrides: Any) -> Answers:
    """Answers suggested by a profile; keyword arguments override any of them."""
    # The one decision of the data kind, shared with compare (engine.registry.decide_kind); a table says nothing
    # about whether it is a churn model or a physics simulation, so its problem type starts as "not stated".
    spec = kind_named(decide_kind(profile).kind)
    kind, problem = DataKind(spec.advice_data_kind), ProblemType(spec.advice_problem)
    labelled = int(round(profile.rows * (1.0 - _target_missing(profile))))
    suggested = Answers(data_kind=kind, labelled_rows=labelled, problem_type=problem)
    return replace(suggested, **{k: v for k, v in overrides.items() if v is not None})


def recommend(answers: Answers) -> Recommendation:
    """Score the six criteria and take the weighted vote."""
    criteria = [rule(answers) for rule in _CRITERIA]
    total_weight = sum(c.weight for c in criteria)
    score = sum(c.contribution for c in criteria) / total_weight
    if score <= -th.CLOSE_CALL_BAND:
        choice = "ml"
    elif score >= th.CLOSE_CALL_BAND:
        choice = "dl"
    else:
        choice = "either"
    # Confidence grows with the margin of the vote, whatever the choice: 0.5
    # for a dead heat, 1.0 when every criterion pulls fully to one side. So a
    # close call (|score| < CLOSE_CALL_BAND) always shows less confidence than
    # a firm call, and the boundary (|score| = CLOSE_CALL_BAND) is a firm call.
    confidence = 0.5 + 0.5 * abs(score)
    return Recommendation(choice=choice, confidence=confidence, score=score, criteria=criteria, answers=answers)


def what_would_flip(answers: Answers) -> list[Flip]:
    """Single-answer changes that would change the recommendation, most plausible first."""
    current = recommend(answers).choice
    candidates: list[tuple[str, Answers]] = []
    for factor in (10, 50, 100, 1000):
        rows = answers.labelled_rows * factor
        candidates.append((f"with {factor}x more labelled rows ({rows:,})", replace(answers, labelled_rows=rows)))
    for fraction in (10, 100):
        rows = max(answers.labelled_rows // fraction, 1)
        candidates.append((f"with {fraction}x fewer labelled rows ({rows:,})", replace(answers, labelled_rows=rows)))
    candidates.append(("with a GPU" if not answers.gpu else "without a GPU", replace(answers, gpu=not answers.gpu)))
    for level in Transparency:
        if level is not answers.transparency:
            candidates.append((f"with {level.value} need for transparency", replace(answers, transparency=level)))
    if answers.domain_experts is not True:
        candidates.append(("if domain experts can engineer features", replace(answers, domain_experts=True)))
    if answers.domain_experts is not False:
        candidates.append(("if no one can engineer features", replace(answers, domain_experts=False)))
    for problem in ProblemType:
        if problem is not answers.problem_type:
            candidates.append((f"if the problem were {_PROBLEM_WORDS[problem]}", replace(answers, problem_type=problem)))
    for kind in DataKind:
        if kind is not answers.data_kind:
            candidates.append((f"if the data were {kind.value}", replace(answers, data_kind=kind)))
    flips: list[Flip] = []
    for description, changed in candidates:
        choice = recommend(changed).choice
        if choice == current or _repeats_volume_flip(description, flips):
            continue
        flips.append(Flip(description=description, answers=changed, choice=choice))
    actionable = [(d, c) for d, c in candidates if not d.startswith("if the data were")]
    if not any(not f.description.startswith("if the data were") for f in flips):
        # No single change the user controls flips it: show the smallest pairs that do.
        for i, (first, first_answers) in enumerate(actionable):
            for second, second_answers in actionable[i + 1:]:
                combined = _merge(answers, first_answers, second_answers)
                choice = recommend(combined).choice
                if choice != current and len(flips) < 8:
                    flips.append(Flip(description=f"{first} and {second}", answers=combined, choice=choice))
    return flips


_PROBLEM_WORDS = {
    ProblemType.BUSINESS_PREDICTION: "business prediction (credit, fraud, churn)",
    ProblemType.FORECASTING: "forecasting",
    ProblemType.VISION: "vision",
    ProblemType.SPEECH: "speech",
    ProblemType.LANGUAGE: "language",
    ProblemType.OTHER: "not stated",
}


def _repeats_volume_flip(description: str, flips: list[Flip]) -> bool:
    """Only the smallest change of volume in each direction is worth saying."""
    if "labelled rows" not in description:
        return False
    direction = "more" if "more" in description else "fewer"
    return any(direction in f.description and "labelled rows" in f.description for f in flips)


def _merge(base: Answers, first: Answers, second: Answers) -> Answers:
    """Apply both single-answer changes (each differs from ``base`` in one field)."""
    changes = {k: v for k, v in asdict(second).items() if v != getattr(base, k)}
    return replace(first, **changes)


# --- the criteria -------------------------------------------------------------


def _data_structure(a: Answers) -> Criterion:
    if a.data_kind is DataKind.MIXED:
        return _criterion("data_structure", "mostly structured, with free text (mixed)", -1.0,
                          "Most columns are structured, tabular features, where classic ML excels; the text joins both models.")
    if a.data_kind is DataKind.TABULAR:
        return _criterion("data_structure", "structured (tabular)", -1.0,
                          "Structured, tabular features are where classic ML excels and tree ensembles still beat networks.")
    return _criterion("data_structure", f"unstructured ({a.data_kind.value})", 1.0,
                      f"Unstructured {a.data_kind.value} is where deep learning learns its own representations from raw input.")


def _data_volume(a: Answers) -> Criterion:
    rows = a.labelled_rows
    unstructured = not a.data_kind.structured
    if rows < th.VOLUME_SMALL_ROWS:
        band, why = "small", "too few labelled rows to fit a network's many parameters"
    elif rows < th.VOLUME_MEDIUM_ROWS and unstructured:
        band = "medium"
        why = (f"at this size neither side leads on {a.data_kind.value}: on the benchmark corpus a CNN won on "
               "1.8k-5k images and TF-IDF won on 4.9k review snippets")
    elif rows < th.VOLUME_MEDIUM_ROWS:
        band, why = "medium", "on tables this size tree ensembles beat neural nets in published benchmarks"
    elif rows < th.VOLUME_LARGE_ROWS:
        band, why = "large", "trees usually stay ahead at this size, though the gap narrows"
    elif rows < th.VOLUME_VERY_LARGE_ROWS:
        band, why = "very_large", "with this many labelled rows networks become competitive, and won every such table measured"
    else:
        band, why = "huge", "deep learning keeps improving with data at this scale"
    score = th.UNSTRUCTURED_MEDIUM_VOLUME_SCORE if band == "medium" and unstructured else th.VOLUME_SCORES[band]
    return _criterion("data_volume", f"{rows:,} labelled rows", score, why[0].upper() + why[1:] + ".")


def _transparency(a: Answers) -> Criterion:
    scores = {
        Transparency.HIGH: (-1.0, "Decisions must be explained, and classic models (coefficients, engineered features) are readable."),
        Transparency.MEDIUM: (-0.3, "Some explanation is needed; post-hoc explanations help both, but simpler models are easier to defend."),
        Transparency.LOW: (0.5, "Accuracy matters more than a readable model, so a black box is acceptable."),
    }
    score, reason = scores[a.transparency]
    return _criterion("transparency", f"{a.transparency.value} need", score, reason)


def _compute(a: Answers) -> Criterion:
    if a.gpu:
        return _criterion("compute", "GPU available", 0.7, "A GPU makes training deep networks affordable.")
    return _criterion("compute", "CPU only", -0.6, "On CPUs alone, classic ML trains in seconds where networks take far longer.")


def _feature_engineering(a: Answers) -> Criterion:
    if not a.data_kind.structured:
        return _criterion("feature_engineering", "features must be learned from raw data", 1.0,
                          "Raw unstructured input needs learned features, which is what deep networks do.")
    if a.domain_experts is True:
        return _criterion("feature_engineering", "domain experts can craft features", -0.8,
                          "Experts' engineered features feed classic ML directly and keep it accurate.")
    if a.domain_experts is False:
        return _criterion("feature_engineering", "no one to engineer features", 0.6,
                          "Without hand-made features, a network's learned features have the edge.")
    return _criterion("feature_engineering", "unknown", 0.0,
                      "Not stated; tabular columns are already usable features for either side.")


def _problem_complexity(a: Answers) -> Criterion:
    table = {
        ProblemType.BUSINESS_PREDICTION: (-0.8, "credit, fraud, maintenance or churn prediction",
                                          "The article names these as classic ML's home ground."),
        ProblemType.FORECASTING: (-0.4, "forecasting from structured history",
                                  "Structured forecasting is well served by classic models with engineered lags."),
        ProblemType.VISION: (1.0, "vision", "Image recognition is deep learning's strongest field."),
        ProblemType.SPEECH: (1.0, "speech", "Speech recognition relies on deep networks."),
        ProblemType.LANGUAGE: (0.8, "language (translation, sentiment)", "Language tasks are handled best by deep networks."),
        ProblemType.OTHER: (0.0, "other / not stated", "No strong pull either way from the problem type."),
    }
    score, value, reason = table[a.problem_type]
    return _criterion("problem_complexity", value, score, reason)


def _criterion(name: str, value: str, score: float, reason: str) -> Criterion:
    return Criterion(name=name, value=value, score=score, weight=th.CRITERION_WEIGHTS[name], reason=reason)


def _target_missing(profile: DatasetProfile) -> float:
    for column in profile.columns:
        if column.name == profile.target:
            return column.missing_share
    return 0.0


_CRITERIA: tuple[Callable[[Answers], Criterion], ...] = (
    _data_structure,
    _data_volume,
    _transparency,
    _compute,
    _feature_engineering,
    _problem_complexity,
)
