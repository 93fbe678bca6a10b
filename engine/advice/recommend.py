"""The six criteria of DESIGN.md §2 and the weighted vote between ML and DL.

Each criterion maps one answer to a score in [-1, 1] (negative favours
classic ML, positive deep learning). The recommendation is the weighted mean
of the scores, so it is as transparent as the advice it gives. Data volume is
a smooth, non-decreasing curve of log10(rows) per kind of data (no bands, so
no cliffs); every number comes from ``engine.common.thresholds`` through
:class:`VoteParams`, which the calibration varies within published bounds.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any, Callable

import pandas as pd

from engine.common import thresholds as th
from engine.profile.profile import DatasetProfile, profile_dataset
from engine.registry import decide_kind, kind_named
from engine.common.wording import choice_label

__all__ = [
    "DataKind",
    "Transparency",
    "ProblemType",
    "Answers",
    "Criterion",
    "Recommendation",
    "Flip",
    "Advice",
    "VoteParams",
    "advise",
    "default_answers",
    "volume_score",
    "calibrated_confidence",
    "CONFIDENCE_MEANING",
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


def _kind_key(kind: Any) -> str:
    """The thresholds' key for a data kind (an enum member or its value); unknown kinds read as tables.

    Kept in one place so that the kind decision (engine.kinds) can swap its own
    type in: anything with a ``value`` string, or the string itself, works.
    """
    key = str(getattr(kind, "value", kind))
    return key if key in th.VOLUME_CURVES else "tabular"


@dataclass(frozen=True)
class VoteParams:
    """Every number the vote uses; the defaults are the engine's (engine.common.thresholds)."""

    weights: dict[str, float] = field(default_factory=lambda: dict(th.CRITERION_WEIGHTS))
    volume_curves: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(th.VOLUME_CURVES))
    close_call_band: float = th.CLOSE_CALL_BAND
    confidence_intercept: float = th.CONFIDENCE_INTERCEPT
    confidence_slope: float = th.CONFIDENCE_SLOPE
    close_call_confidence: float = th.CLOSE_CALL_CONFIDENCE


_DEFAULT_PARAMS = VoteParams()


def volume_score(kind: Any, rows: int, params: VoteParams | None = None) -> float:
    """The data-volume criterion's score: tanh((log10(rows) - midpoint) / width) for the kind's curve.

    Non-decreasing in ``rows`` and smooth in log10(rows) (slope at most 1 / width).
    """
    midpoint, width = (params or _DEFAULT_PARAMS).volume_curves[_kind_key(kind)]
    return math.tanh((math.log10(max(int(rows), 1)) - midpoint) / width)


CONFIDENCE_MEANING = (
    "Confidence: for a firm choice, how often advice with a vote this decisive lost nothing against the measured "
    "winner on the development datasets (a logistic fit, in-sample; benchmarks/corpus/calibration.json), so it grows "
    "with the margin; for a close call, how often a close call there ended in a tie, always below a firm call."
)


def calibrated_confidence(score: float, params: VoteParams | None = None) -> float:
    """P(following the advice loses at most the practical tie margin), from the vote's margin |score|.

    A logistic map fitted on development results (benchmarks/corpus/calibrate.py,
    in-sample); non-decreasing in |score| because the slope is held at >= 0.
    """
    chosen = params or _DEFAULT_PARAMS
    z = chosen.confidence_intercept + max(chosen.confidence_slope, 0.0) * abs(score)
    return 1.0 / (1.0 + math.exp(-z))


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
    confidence: float  # calibrated P(right) from |score| (see calibrated_confidence)
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
        payload = self.recommendation.to_dict() | {
            "what_would_flip": [{"change": f.description, "recommendation": f.choice} for f in self.flips],
            "profile": self.profile.to_dict(),
            "data_kind_decision": decide_kind(self.profile).to_dict(),
        }
        guess = getattr(self.profile, "target_guess", None)
        if guess is not None:  # an addition to DESIGN.md §4: how the target was guessed, and what else could be
            payload["target_guess"] = guess.to_dict()
        return payload


def advise(data: Any, target: str | None = None, **answer_overrides: Any) -> Advice:
    """Profile the data (a DataFrame or an :class:`engine.io.dataset.Dataset`) and recommend from the criteria.

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
    # The one decision of the data kind, shared with compare (engine.registry.decide_kind).
    kind = DataKind(kind_named(decide_kind(profile).kind).advice_data_kind)
    # rows with a target value, less those of classes too rare to train and test on (one row each)
    labelled = int(round(profile.rows * (1.0 - _target_missing(profile)))) - len(profile.left_out_classes)
    suggested = default_answers(kind, labelled)
    return replace(suggested, **{k: v for k, v in overrides.items() if v is not None})


def default_answers(kind: DataKind, labelled_rows: int) -> Answers:
    """The answers the data alone suggest: its kind and rows; the rest at their defaults."""
    # A table says nothing about whether it is a churn model or a physics
    # simulation: the problem type starts as "not sure" until the user says.
    problem = {DataKind.IMAGES: ProblemType.VISION, DataKind.TEXT: ProblemType.LANGUAGE,
               DataKind.AUDIO: ProblemType.SPEECH}.get(kind, ProblemType.OTHER)
    return Answers(data_kind=kind, labelled_rows=labelled_rows, problem_type=problem)


def recommend(answers: Answers, params: VoteParams | None = None) -> Recommendation:
    """Score the six criteria and take the weighted vote (``params``: the engine's numbers unless given)."""
    chosen = params or _DEFAULT_PARAMS
    criteria = [_weighted(rule(answers, chosen), chosen) for rule in _CRITERIA]
    total_weight = sum(c.weight for c in criteria)
    score = sum(c.contribution for c in criteria) / total_weight
    band = chosen.close_call_band
    choice = "ml" if score <= -band else "dl" if score >= band else "either"
    # A close call claims a tie, which the development data bore out less often than a firm call's "this family
    # wins or ties": its own fitted share, capped below the firm map at the band's edge so confidence never falls
    # as the margin grows.
    confidence = (min(chosen.close_call_confidence, calibrated_confidence(band, chosen)) if choice == "either"
                  else calibrated_confidence(score, chosen))
    return Recommendation(choice=choice, confidence=confidence, score=score, criteria=criteria, answers=answers)


def _weighted(criterion: Criterion, params: VoteParams) -> Criterion:
    return replace(criterion, weight=params.weights[criterion.name])


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


def _data_structure(a: Answers, params: VoteParams) -> Criterion:
    key = _kind_key(a.data_kind)
    score = th.STRUCTURE_SCORES[key]
    if key == "tabular":
        return _criterion("data_structure", "structured (tabular)", score,
                          "Structured, tabular features are where classic ML excels and tree ensembles still beat networks.")
    if key == "mixed":
        return _criterion("data_structure", "mostly structured (mixed: a table with text columns)", score,
                          "Mostly structured: the table's columns suit classic ML, and its text becomes TF-IDF features.")
    if key == "text":
        return _criterion("data_structure", "unstructured (text)", score,
                          "Text is unstructured, so deep learning can learn from it, but its words are already readable "
                          "features and TF-IDF with a linear model is a strong baseline.")
    return _criterion("data_structure", f"unstructured ({key})", score,
                      f"Unstructured {key} is where deep learning learns its own representations from raw input.")


_VOLUME_SOURCES = {
    "tabular": "on tables, tree ensembles lead published benchmarks well past 100,000 rows (Grinsztajn et al. 2022; "
               "McElfresh et al. 2023)",
    "mixed": "on tables, tree ensembles lead published benchmarks well past 100,000 rows (Grinsztajn et al. 2022; "
             "McElfresh et al. 2023)",
    "text": "on text, TF-IDF with a linear model matches networks up to a few hundred thousand documents "
            "(Wang & Manning 2012; Zhang et al. 2015)",
    "images": "on images, small CNNs learn from raw pixels with a few hundred labelled examples (Brigato & Iocchi 2020)",
    "audio": "on audio, CNNs on spectrograms learn from raw sound with a thousand or so labelled clips (Hershey et al. 2017)",
}


def _data_volume(a: Answers, params: VoteParams) -> Criterion:
    key = _kind_key(a.data_kind)
    score = volume_score(key, a.labelled_rows, params)
    neutral = 10 ** params.volume_curves[key][0]
    lean = ("favours classic ML" if score <= -th.NEUTRAL_SCORE else "favours deep learning" if score >= th.NEUTRAL_SCORE
            else "favours neither side")
    why = (f"{_VOLUME_SOURCES[key][0].upper()}{_VOLUME_SOURCES[key][1:]}; the pull toward deep learning grows smoothly "
           f"with the rows and is even near {_round_rows(neutral)}, so {a.labelled_rows:,} rows {lean}.")
    return _criterion("data_volume", f"{a.labelled_rows:,} labelled rows", score, why)


def _round_rows(rows: float) -> str:
    """10**5.5 -> '300,000': two significant digits read better than 316,228."""
    digits = max(int(math.floor(math.log10(rows))) - 1, 0)
    return f"{int(round(rows, -digits)):,}"


def _transparency(a: Answers, params: VoteParams) -> Criterion:
    scores = {
        Transparency.HIGH: (-1.0, "Decisions must be explained, and classic models (coefficients, engineered features) are readable."),
        Transparency.MEDIUM: (-0.3, "Some explanation is needed; post-hoc explanations help both, but simpler models are easier to defend."),
        Transparency.LOW: (0.5, "Accuracy matters more than a readable model, so a black box is acceptable."),
    }
    score, reason = scores[a.transparency]
    return _criterion("transparency", f"{a.transparency.value} need", score, reason)


def _compute(a: Answers, params: VoteParams) -> Criterion:
    if a.gpu:
        return _criterion("compute", "GPU available", 0.7, "A GPU makes training deep networks affordable.")
    return _criterion("compute", "CPU only", -0.6, "On CPUs alone, classic ML trains in seconds where networks take far longer.")


def _feature_engineering(a: Answers, params: VoteParams) -> Criterion:
    key = _kind_key(a.data_kind)
    if key == "text":
        return _criterion("feature_engineering", "features learned or counted from words", th.UNSTRUCTURED_FEATURE_SCORES[key],
                          "Networks learn features from raw text, but word n-gram counts are ready-made features too.")
    if key in th.UNSTRUCTURED_FEATURE_SCORES:
        return _criterion("feature_engineering", "features must be learned from raw data", th.UNSTRUCTURED_FEATURE_SCORES[key],
                          "Raw unstructured input needs learned features, which is what deep networks do.")
    if a.domain_experts is True:
        return _criterion("feature_engineering", "domain experts can craft features", -0.8,
                          "Experts' engineered features feed classic ML directly and keep it accurate.")
    if a.domain_experts is False:
        return _criterion("feature_engineering", "no one to engineer features", 0.6,
                          "Without hand-made features, a network's learned features have the edge.")
    return _criterion("feature_engineering", "unknown", 0.0,
                      "Not stated; tabular columns are already usable features for either side.")


def _problem_complexity(a: Answers, params: VoteParams) -> Criterion:
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


_CRITERIA: tuple[Callable[[Answers, VoteParams], Criterion], ...] = (
    _data_structure,
    _data_volume,
    _transparency,
    _compute,
    _feature_engineering,
    _problem_complexity,
)
