"""What a dataset is: column kinds, task, target guess, balance, missing values."""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from engine.common import limits, wording
from engine.common import thresholds as th
from engine.io.data import DataError
from engine.io.dates import parse_dates
from engine.profile.leakage import SuspectedLeak, suspected_leaks

__all__ = [
    "ColumnKind",
    "ColumnProfile",
    "DatasetProfile",
    "Task",
    "profile_dataset",
    "guess_target",
    "guess_target_details",
    "TargetGuess",
    "GENERIC_LABEL_WORDS",
    "TASK_LABEL_WORDS",
    "prepare_target",
]

_SAMPLE = 2_000
# Words that name the column a model predicts, from general usage (never from a
# corpus target's name). Each is matched as the whole name or its last word
# (``credit_risk``, ``Churn``), case-insensitively.
GENERIC_LABEL_WORDS: dict[str, str] = {
    "target": "scikit-learn's name for what is predicted (Bunch.target, as_frame)",
    "label": "the machine-learning word for the answer a supervised model learns",
    "labels": "the same, plural",
    "class": "the label's name in UCI and Weka ARFF files",
    "y": "the textbook symbol for the response (y = f(X))",
    "outcome": "statistics' word for what is predicted (outcome variable)",
    "response": "statistics' word for the dependent variable (response variable)",
    "dependent": "the dependent variable of a regression",
    "truth": "the ground truth a model is scored against",
    "status": "the event indicator of survival analysis (R's Surv(time, status)); only as the whole name",
    "result": "the result of a test, match or trial: what is observed after the fact",
}
TASK_LABEL_WORDS: dict[str, str] = {
    "churn": "churn prediction, one of the article's classic-ML examples",
    "churned": "the same, as a yes/no flag",
    "attrition": "employee or customer attrition: churn's other name",
    "fraud": "fraud detection, one of the article's examples",
    "fraudulent": "the same, as an adjective",
    "default": "credit default, the article's credit-check example",
    "defaulted": "the same, as a yes/no flag",
    "risk": "credit risk, the credit-check example's usual answer",
    "failure": "predictive maintenance (the article's example) predicts failure",
    "failed": "the same, as a yes/no flag",
    "sentiment": "sentiment analysis, the article's language example",
    "spam": "spam filtering, the textbook text-classification task",
    "diagnosis": "the answer of a clinical prediction model",
    "price": "price is the standard regression answer (hedonic pricing, valuation)",
    "conversion": "conversion prediction in marketing",
    "converted": "the same, as a yes/no flag",
}


def _word_pattern(words: dict[str, str]) -> re.Pattern[str]:
    alternatives = "|".join(map(re.escape, words))
    return re.compile(rf"(^|[_\s.-])({alternatives})$", re.IGNORECASE)


# "y" and "class" end many feature names (``pos_y``, ``passenger_class``), and "status" too (``marital_status``):
# they count only as the whole name.
_GENERIC_LABEL = re.compile(
    rf"^({'|'.join(map(re.escape, GENERIC_LABEL_WORDS))})$"
    rf"|[_\s.-]({'|'.join(re.escape(w) for w in GENERIC_LABEL_WORDS if len(w) > 5 and w != 'status')})$",
    re.IGNORECASE,
)
_TASK_LABEL = _word_pattern(TASK_LABEL_WORDS)
# Generic words that also name inputs when they stand in the middle of a table ("class" of a passenger or a
# service, "status" of a marriage or a job): a label only at an edge, where tables put what is predicted.
_EDGE_ONLY_WORDS = frozenset({"class", "status"})
# Names of columns that are, in general usage, inputs that describe a row rather than what is predicted about it.
# Each is matched as the whole name or its last word; a column so named is ranked after every other candidate.
INPUT_WORDS: dict[str, str] = {
    **dict.fromkeys(("year", "yr", "month", "mnth", "day", "date", "time", "hour", "minute", "week", "weekday",
                     "weekend", "season", "quarter"),
                    "a calendar part: when the row was recorded, not what is predicted about it"),
    **dict.fromkeys(("age", "sex", "gender", "race", "ethnicity"),
                    "a demographic covariate: the standard inputs of surveys, trials and credit scoring"),
    **dict.fromkeys(("lat", "lon", "long", "latitude", "longitude", "northing", "easting", "site", "plot", "region",
                     "state", "country", "county", "city", "zip", "store", "station", "district"),
                    "where the row was measured: a location or a design variable of the study"),
}
_INPUT_WORD = _word_pattern(INPUT_WORDS)
_DUMMY = re.compile(r"^(.*?[A-Za-z])[_.]?(\d+)$")
_DERIVED = re.compile(r"^(l|ln|log|sq)[_.]?(.+)$|^(.+?)[_.]?(sq|squared|2|log)$", re.IGNORECASE)
_ID_NAMES = re.compile(r"(^id$|_id$|^id_|uuid|guid|^index$|^key$|^row ?(id|number)?$)", re.IGNORECASE)


class ColumnKind(str, Enum):
    """How a column is used; FEATURE_KINDS are fed to the tabular models."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"
    TEXT = "text"  # free text (reviews, tickets, messages): read by the text models (engine.kinds.text)
    IMAGE_PIXEL = "image_pixel"  # one pixel of an image (engine.kinds.images.pixels.detect_pixel_columns)
    IDENTIFIER = "identifier"
    CONSTANT = "constant"


FEATURE_KINDS = (ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.DATETIME)


class Task(str, Enum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not Task.REGRESSION


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: ColumnKind
    missing_share: float
    unique_values: int


@dataclass(frozen=True)
class DatasetProfile:
    """A summary of a table with a chosen target; the input to the recommender."""

    rows: int
    columns: list[ColumnProfile]
    target: str
    task: Task
    class_balance: dict[str, float] = field(default_factory=dict)
    missing_share: float = 0.0
    target_guess: "TargetGuess | None" = None  # how the target was guessed; None when the user named it
    # Feature columns that alone predict the target almost perfectly (engine/profile/leakage.py); a tuple
    # default, so profiles pickled before it existed still read.
    suspected_leaks: tuple[SuspectedLeak, ...] = ()
    # Classes of a single row, left out of training and testing (thresholds.RARE_CLASS_MAX_SHARE), as text.
    left_out_classes: tuple[str, ...] = ()

    @property
    def left_out_note(self) -> str | None:
        """One sentence naming the classes too rare to train and test on, whose rows were left out; None if none."""
        if not self.left_out_classes:
            return None
        return left_out_note(self.left_out_classes, self.target, list(self.class_balance))

    def labelled_mask(self, frame: pd.DataFrame) -> pd.Series:
        """Which rows the models train and test on: those with a target value, not of a class left out."""
        keep = frame[self.target].notna()
        if self.left_out_classes:
            keep &= ~frame[self.target].astype(str).isin(self.left_out_classes)
        return keep

    def labelled(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of :meth:`labelled_mask`."""
        return frame[self.labelled_mask(frame)]

    @property
    def column_kinds(self) -> dict[str, str]:
        return {c.name: c.kind.value for c in self.columns}

    @property
    def feature_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.name != self.target and c.kind in FEATURE_KINDS]

    @property
    def ignored_columns(self) -> dict[str, str]:
        """Columns the tabular models do not use, with the kind that excluded them."""
        return {
            c.name: c.kind.value
            for c in self.columns
            if c.name != self.target and c.kind not in FEATURE_KINDS
        }

    def kind_count(self, kind: ColumnKind) -> int:
        return sum(1 for c in self.columns if c.name != self.target and c.kind is kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "columns": len(self.columns),
            "target": self.target,
            "task": self.task.value,
            "column_kinds": self.column_kinds,
            "class_balance": self.class_balance,
            "missing_share": round(self.missing_share, 6),
            "missing_by_column": {c.name: round(c.missing_share, 6) for c in self.columns},
            "feature_columns": self.feature_columns,
            "ignored_columns": self.ignored_columns,
            "suspected_leaks": [leak.to_dict() for leak in self.suspected_leaks],
            "left_out_classes": list(self.left_out_classes),
        }


@dataclass(frozen=True)
class TargetGuess:
    """The guessed target, why, the other usable candidates, and the better-ranked ones that could not be used."""

    column: str
    why: str
    alternatives: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (column, why it cannot be the target)
    usable: bool = True  # False: no column could be the target; ``column`` is the best-ranked, for its error

    @property
    def note(self) -> str | None:
        """One sentence for the user when the best-ranked candidate was passed over; None otherwise."""
        if not self.skipped or not self.usable:
            return None
        first, reason = self.skipped[0]
        more = f" ({len(self.skipped) - 1} more candidate(s) could not be used either)" if len(self.skipped) > 1 else ""
        return (f"The best-ranked target, '{first}', cannot be used ({reason}){more}; "
                f"the advice uses '{self.column}' instead: {self.why}.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "why": self.why,
            "usable": self.usable,
            "note": self.note,
            "alternatives": list(self.alternatives),
            "skipped": [{"column": c, "why": w} for c, w in self.skipped],
        }


def profile_dataset(frame: pd.DataFrame, target: str | None = None) -> DatasetProfile:
    """Profile ``frame``; ``target`` defaults to :func:`guess_target`.

    Raises DataError if the target is unusable (see :func:`prepare_target`).
    """
    kinds, known_distinct = _scan_columns(frame, exclude=target)
    guess = None
    if target is None:
        guess = guess_target_details(frame, kinds)
        target = guess.column
    y, task, left_out = _checked_target(frame, target, kinds.get(target))
    missing_cells = frame.isna()
    missing_by_column = missing_cells.mean().to_numpy() if len(frame) else np.zeros(frame.shape[1])
    distinct = distinct_counts(frame, known_distinct)
    columns = [
        ColumnProfile(name=str(name), kind=kinds[name], missing_share=float(missing), unique_values=int(count))
        for name, missing, count in zip(frame.columns, missing_by_column, distinct)
    ]
    balance: dict[str, float] = {}
    if task.is_classification:
        balance = {str(k): float(v) for k, v in y.value_counts(normalize=True).items()}
    missing = float(missing_cells.to_numpy().mean()) if frame.size else 0.0
    features = [name for name, c in zip(frame.columns, columns) if name != target and c.kind in FEATURE_KINDS]
    return DatasetProfile(
        rows=len(frame), columns=columns, target=target, task=task,
        class_balance=balance, missing_share=missing, target_guess=guess,
        suspected_leaks=suspected_leaks(frame, target, features, task.is_classification), left_out_classes=left_out,
    )


#: (frame, column to leave out) -> the names of the columns that together are one kind (an image's pixels).
GroupDetector = Callable[[pd.DataFrame, "str | None"], "set[object]"]
_GROUP_DETECTORS: dict[ColumnKind, GroupDetector] = {}


def register_group_detector(kind: ColumnKind, detector: GroupDetector) -> None:
    """A data kind that recognises columns only together (pixels by name, range and neighbourhood) registers here."""
    _GROUP_DETECTORS[kind] = detector


def column_kinds(frame: pd.DataFrame, exclude: str | None = None) -> dict[Any, ColumnKind]:
    """Every column's kind: first the groups the data kinds detect (never ``exclude``), then one column at a time."""
    return _scan_columns(frame, exclude)[0]


def _scan_columns(frame: pd.DataFrame, exclude: str | None = None) -> tuple[dict[Any, ColumnKind], dict[int, int]]:
    """:func:`column_kinds`, and the distinct counts found on the way (by column position) for :func:`distinct_counts`.

    Deciding a kind already sorts the numeric columns and counts each other column's values; profiling
    counted them all again (a tenth of ``recommend`` on 100,000 rows).
    """
    import importlib

    importlib.import_module("engine.kinds")  # the kinds register their detectors (found by name: they sit above this module)
    grouped: dict[Any, ColumnKind] = {}
    for kind, detector in _GROUP_DETECTORS.items():
        for name in detector(frame, exclude):
            grouped.setdefault(name, kind)
    numeric = _plain_numeric_positions(frame, skip=set(grouped))
    fast: dict[Any, ColumnKind] = {}
    distinct: dict[int, int] = {}
    for chunk in _column_chunks(numeric, len(frame)):
        chunk_kinds, chunk_distinct = _numeric_kinds_and_distinct(frame.iloc[:, chunk])
        fast.update(zip(frame.columns[chunk], chunk_kinds))
        distinct.update(zip(chunk, map(int, chunk_distinct)))
    kinds: dict[Any, ColumnKind] = {}
    unique_names = frame.columns.is_unique  # with repeated names a position's column cannot be told from its name
    for position, name in enumerate(frame.columns):
        kind = grouped.get(name) or fast.get(name)
        if kind is None:
            kind, count = _column_kind_and_distinct(frame[name])
            if unique_names:
                distinct[position] = count
        kinds[name] = kind
    return kinds, distinct


def _plain_numeric_positions(frame: pd.DataFrame, skip: set[object] = frozenset()) -> list[int]:  # type: ignore[assignment]
    """Positions of the columns held as plain numpy integers or floats (not bool, not nullable), names unique."""
    if not frame.columns.is_unique:
        return []
    return [i for i, (name, dtype) in enumerate(frame.dtypes.items())
            if name not in skip and isinstance(dtype, np.dtype) and dtype.kind in "fiu"]


#: Cells one vectorised pass over numeric columns holds at once (float64: 32 MB a copy), so a
#: long table is still profiled a few columns at a time, within memory.
_CELLS_PER_PASS = 4_000_000


def _column_chunks(positions: list[int], rows: int) -> list[list[int]]:
    width = max(1, _CELLS_PER_PASS // max(rows, 1))
    return [positions[start:start + width] for start in range(0, len(positions), width)]


def _sorted_block(block: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each column sorted (missing last), its count of present values and of distinct present values."""
    ordered = np.sort(block.to_numpy(dtype=float), axis=0)
    present = (~np.isnan(ordered)).sum(axis=0)
    rows = np.arange(ordered.shape[0])[:, None]
    steps = (np.diff(ordered, axis=0) != 0) & (rows[1:] < present[None, :])
    distinct = np.where(present > 0, 1 + steps.sum(axis=0), 0)
    return ordered, present, distinct


def distinct_counts(frame: pd.DataFrame, known: dict[int, int] | None = None) -> np.ndarray:
    """Distinct non-missing values per column, in column order: plain numeric columns all at once.

    Column by column, ``nunique`` cost seconds on a 10,000-column table; one
    sort of the numeric block does the same for all of them. ``known``: counts
    already taken, by column position (from :func:`_scan_columns` on this frame).
    """
    known = known or {}
    counts = np.zeros(frame.shape[1], dtype=int)
    numeric = [i for i in _plain_numeric_positions(frame) if i not in known]
    for chunk in _column_chunks(numeric, len(frame)):
        counts[chunk] = _sorted_block(frame.iloc[:, chunk])[2]
    for i, count in known.items():
        counts[i] = count
    for i in sorted(set(range(frame.shape[1])) - set(numeric) - set(known)):
        counts[i] = int(frame.iloc[:, i].nunique(dropna=True))
    return counts


def _numeric_kinds_and_distinct(block: pd.DataFrame) -> tuple[list[ColumnKind], np.ndarray]:
    """:func:`column_kind` for many plain numeric columns at once (the same rules, vectorised), and each column's
    count of distinct present values."""
    values = block.to_numpy(dtype=float)
    ordered, present, distinct = _sorted_block(block)
    with np.errstate(invalid="ignore"):
        integer = np.all(np.isnan(values) | (np.mod(values, 1) == 0), axis=0)
        rows = np.arange(ordered.shape[0])[:, None]
        gaps = np.diff(ordered, axis=0)
        consecutive = np.all((gaps == 1) | (rows[1:] >= present[None, :]), axis=0)
    share = distinct / np.maximum(present, 1)
    kinds = []
    for i, name in enumerate(block.columns):
        if distinct[i] <= 1:
            kinds.append(ColumnKind.CONSTANT)
        elif integer[i] and _ID_NAMES.search(str(name)) and share[i] >= th.IDENTIFIER_UNIQUE_SHARE:
            kinds.append(ColumnKind.IDENTIFIER)
        elif integer[i] and share[i] == 1.0 and present[i] > 50 and consecutive[i]:
            kinds.append(ColumnKind.IDENTIFIER)
        else:
            kinds.append(ColumnKind.NUMERIC)
    return kinds, distinct


def column_kind(series: pd.Series) -> ColumnKind:
    """Classify one column from its dtype and a sample of its values."""
    return _column_kind_and_distinct(series)[0]


def _column_kind_and_distinct(series: pd.Series) -> tuple[ColumnKind, int]:
    """:func:`column_kind`, and the column's count of distinct present values (counted once, used twice)."""
    values = series.dropna()
    distinct = int(values.nunique())
    if distinct <= 1:
        return ColumnKind.CONSTANT, distinct
    if ptypes.is_bool_dtype(series):
        return ColumnKind.NUMERIC, distinct
    if ptypes.is_datetime64_any_dtype(series):
        return ColumnKind.DATETIME, distinct
    share = distinct / max(len(values), 1)  # unique_share(values), without counting again
    if ptypes.is_numeric_dtype(series):
        is_integer = bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
        if is_integer and (_ID_NAMES.search(str(series.name)) and share >= th.IDENTIFIER_UNIQUE_SHARE):
            return ColumnKind.IDENTIFIER, distinct
        if is_integer and share == 1.0 and len(values) > 50 and _is_consecutive(values):
            return ColumnKind.IDENTIFIER, distinct
        return ColumnKind.NUMERIC, distinct
    text = values.astype(str)
    sample = text.iloc[_sample_positions(len(text))] if len(text) > _SAMPLE else text
    if _parses_as_datetime(sample):
        return ColumnKind.DATETIME, distinct
    if _is_free_text(sample, share):
        return ColumnKind.TEXT, distinct
    if share >= th.IDENTIFIER_UNIQUE_SHARE and len(values) > 20:
        return ColumnKind.IDENTIFIER, distinct
    return ColumnKind.CATEGORICAL, distinct


@functools.lru_cache(maxsize=8)
def _sample_positions(rows: int) -> np.ndarray:
    """The positions ``Series.sample(_SAMPLE, random_state=0)`` takes from ``rows`` values: the same for every column.

    pandas draws them by permuting all ``rows`` positions, once per call; the columns of one table share them.
    """
    positions = pd.RangeIndex(rows).to_series().sample(_SAMPLE, random_state=0).to_numpy()
    positions.flags.writeable = False
    return positions


def guess_target(frame: pd.DataFrame, kinds: dict[Any, ColumnKind] | None = None) -> str:
    """The guessed target's name (see :func:`guess_target_details`); never raises."""
    return guess_target_details(frame, kinds).column


_MAX_ALTERNATIVES = 5


def guess_target_details(frame: pd.DataFrame, kinds: dict[Any, ColumnKind] | None = None) -> TargetGuess:
    """The best-ranked column that can be a target, why, and what else could be.

    Ranking, from general usage (the words above, each with its reason):
    the last column when its name means a label (the usual layout and the
    name agree), then generic label names anywhere (``target``, ``label``…),
    then task words (``churn``, ``is_fraud``, ``price``…), then the last
    column, then the others from right to left. The edges are the table's
    own: variants appended after it (``NewLeague`` of ``League``) and a
    leading row label that cannot be a target (a firm's name) do not count;
    a column named as an input, or built from another column, ranks after
    the others. Identifiers, free text, dates and pixels are never candidates. A candidate that
    :func:`prepare_target` refuses (one value, all missing, too many classes,
    an identifier, a class with one row…) is skipped with its reason and the
    next one taken, so the guess never blocks the advice. Only when no column
    can be the target is the best-ranked one returned (``usable=False``), so
    that its error is the one reported. Never raises.
    """
    kinds = kinds if kinds is not None else column_kinds(frame)
    ranked = _ranked_candidates(frame, kinds)
    if not ranked:
        last = str(frame.columns[-1]) if len(frame.columns) else ""
        return TargetGuess(column=last, why="the last column; no column looks like a label", usable=False)
    skipped: list[tuple[str, str]] = []
    chosen: tuple[str, str] | None = None
    alternatives: list[str] = []
    for name, why in ranked:
        if chosen is not None and len(alternatives) >= _MAX_ALTERNATIVES:
            break
        try:
            prepare_target(frame, name, kinds.get(name))
        except DataError as error:
            if chosen is None:
                skipped.append((name, _reason(error, name)))
            continue
        if chosen is None:
            chosen = (name, why)
        else:
            alternatives.append(name)
    if chosen is None:
        name, why = ranked[0]
        return TargetGuess(column=name, why=why, skipped=skipped, usable=False)
    return TargetGuess(column=chosen[0], why=chosen[1], alternatives=alternatives, skipped=skipped)


def _ranked_candidates(frame: pd.DataFrame, kinds: dict[Any, ColumnKind]) -> list[tuple[str, str]]:
    """Columns that could be a label, best first, each with why it ranks there."""
    could_be_label = (ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.CONSTANT)
    usable = [str(n) for n in frame.columns if kinds.get(n) in could_be_label]
    ranked: list[tuple[str, str]] = []
    seen: set[str] = set()  # a set: scanning ``ranked`` for each of 10,000 columns was quadratic

    def add(name: str, why: str) -> None:
        if name not in seen:
            seen.add(name)
            ranked.append((name, why))

    names = [str(n) for n in frame.columns]
    edges = {usable[0], usable[-1]} if usable else set()  # the first and last columns that could be a label
    if usable and _TASK_LABEL.search(usable[-1]):
        add(usable[-1], "the last column, and its name is a word for what is usually predicted")
    # Several generic names (``label`` and ``y``): the more specific word, in GENERIC_LABEL_WORDS' order, wins.
    generic = [(n, _generic_rank(n)) for n in usable if _GENERIC_LABEL.search(n)
               and (n.lower() not in _EDGE_ONLY_WORDS or n in edges)]
    for name, _ in sorted(generic, key=lambda item: item[1]):
        add(name, "its name is a generic word for a label")
    for name in usable:
        if _TASK_LABEL.search(name):
            add(name, "its name is a word for what is usually predicted")
    others = _OtherNames(names)
    inputs = {name: why for name in usable if (why := _input_like(name, others))}
    # Tables put what is predicted last (scikit-learn, UCI, Weka) or first (R's data frames and model formulas,
    # y ~ x, and the econometrics packages): the last column, else the first, unless its name says it is an input.
    # Variants of another column (a later copy, a recoding) are appended by whoever built them after the table
    # they were built from: the last edge is read past them, at the table's original last column. (Dummy groups
    # are not skipped: trailing dummies belong to regression tables whose response R puts first.)
    original_columns = [n for n in usable if not inputs.get(n, "").startswith(_VARIANT_WHY)] or usable
    # A leading column that cannot be the target at all (a name with hundreds of classes, one value) does not make
    # the first edge: tables start with the unit's name or label (R's row names, a country, a firm), and the
    # response then follows it.
    first = _first_target(frame, original_columns, kinds)
    last = original_columns[-1] if original_columns else None
    order = [(last, "last"), (first, "first")]
    original = {str(n): n for n in frame.columns}  # the frame's own labels (headerless tables have integers)
    if usable and _two_valued(frame[original[first]]) and not _two_valued(frame[original[last]]):
        # A yes/no flag before a table of measurements is the response of R's layout (glm(flag ~ ., binomial)).
        order.reverse()
    for name, position in order:
        if name is not None and name not in inputs:
            add(name, f"the {position} column that could be a label (the usual layouts)")
    for name in reversed(usable):
        if name not in inputs:
            add(name, "a column that could be a label")
    for name in reversed(usable):
        add(name, f"a column that could be a label, though its name reads as an input ({inputs.get(name, '')})")
    return ranked


_LEADING_LABELS = 3  # a table starts with at most a few label columns (a name, a code, a group)


def _first_target(frame: pd.DataFrame, names: list[str], kinds: dict[Any, ColumnKind]) -> str | None:
    """The first of the leading ``names`` that :func:`prepare_target` accepts, else the first (None when empty)."""
    original = {str(n): n for n in frame.columns}
    for name in names[:_LEADING_LABELS]:
        try:
            prepare_target(frame, original[name], kinds.get(original[name]))
        except DataError:
            continue
        return name
    return names[0] if names else None


def _two_valued(column: pd.Series) -> bool:
    return int(column.head(_SAMPLE).nunique(dropna=True)) == 2 and int(column.nunique(dropna=True)) == 2


class _OtherNames:
    """The table's column names, lower-cased, asked about "the columns other than ``name``" in constant time.

    Building that set for each column made the target guess quadratic: 160 s on 10,000 columns.
    """

    def __init__(self, names: list[str]) -> None:
        self.counts = Counter(n.lower() for n in names)
        self.numbered = sorted(n for n in self.counts if n[-1:].isdigit())

    def has(self, lowered: str, name: str) -> bool:
        """Whether a column other than ``name`` is called ``lowered`` (case-insensitively)."""
        return self.counts.get(lowered, 0) - (lowered == name.lower()) > 0

    def built_on(self, name: str) -> str | None:
        """Another column's name that ``name`` starts or ends with (``NewLeague`` on ``League``), or None.

        The other name must meet the rest at a word break (``_``, ``.``, a space, a lower-to-upper case change)
        or be four letters or more: ``ln_wage`` is not built on ``age``, nor ``y.net`` on ``y``.
        """
        lowered = name.lower()
        for size in range(len(lowered) - 2, 2, -1):  # the longest other name first; each side, so 2n lookups
            for part, at, rest in ((lowered[:size], size, lowered[size:]), (lowered[-size:], len(name) - size, lowered[:-size])):
                # A rest of digits only (col_12 after col_1, wt71 after wt) numbers a series: not a variant.
                if any(c.isalpha() for c in rest) and self.has(part, name) and (size >= 4 or _word_break(name, at)):
                    return part
        return None

    def numbered_with_prefix(self, prefix: str, name: str) -> bool:
        """Whether a column other than ``name`` starts with ``prefix`` and ends with a digit (lower-cased)."""
        start = bisect.bisect_left(self.numbered, prefix)
        for other in self.numbered[start:start + 2]:  # at most one of them is ``name`` itself
            if other.startswith(prefix) and other != name.lower():
                return True
        return False


_VARIANT_WHY = "a variant built from another column (its name is that column's name and more): an input"


def _word_break(name: str, at: int) -> bool:
    """Whether ``name[:at]`` and ``name[at:]`` are separate words (a separator, or a lower-to-upper case change)."""
    before, after = name[at - 1], name[at]
    return not before.isalnum() or not after.isalnum() or (before.islower() and after.isupper())


def _input_like(name: str, others: _OtherNames) -> str | None:
    """Why ``name`` reads as an input (a calendar part, a covariate, a dummy, a transform of another column), or None."""
    if _INPUT_WORD.search(name):
        return INPUT_WORDS[re.split(r"[_\s.-]", name.lower())[-1]]
    dummy = _DUMMY.match(name)
    if dummy:
        prefix = dummy.group(1).lower()
        if (prefix != name.lower() and others.has(prefix, name)) or others.numbered_with_prefix(prefix, name):
            return "one of a group of numbered columns (dummies, lags, repeated measures): an input"
    derived = _DERIVED.match(name)
    if derived and others.has((derived.group(2) or derived.group(3) or "").lower(), name):
        return "a transform (log, square) of another column: a constructed regressor"
    if others.built_on(name):
        # A name made of another column's name and more (NewLeague and League, qob_minus_kw and qob, blackfemale
        # and black, INCOMESQ and INCOME) is a variant built from that column: a recoding, an interaction or a
        # later copy, which analysts add as regressors; what is predicted is recorded as itself.
        return _VARIANT_WHY
    return None


def _generic_rank(name: str) -> int:
    word = re.split(r"[_\s.-]", name.lower())[-1]
    return list(GENERIC_LABEL_WORDS).index(word) if word in GENERIC_LABEL_WORDS else len(GENERIC_LABEL_WORDS)


def _reason(error: DataError, name: str) -> str:
    """prepare_target's message without the column's name, which the note already says."""
    text = str(error)
    for prefix in (f"target column '{name}' ", f"of target '{name}' "):
        text = text.replace(prefix, "")
    return re.sub(r"\s*\(choose another target[^)]*\)", "", text)


_COLUMNS_NAMED = 10


def _target_not_found(target: str, names: list[str]) -> str:
    """One line: the name is not a column; the column it most likely meant (other case, spaces, a typo); some columns."""
    import difflib

    by_case = [n for n in names if n.strip().casefold() == str(target).strip().casefold()]
    close = by_case or difflib.get_close_matches(str(target), names, n=1, cutoff=0.75)
    meant = f"; did you mean '{close[0]}'? Columns are: " if close else "; columns are: "
    more = f" and {len(names) - _COLUMNS_NAMED:,} more" if len(names) > _COLUMNS_NAMED else ""
    return f"target column '{target}' not found{meant}{', '.join(names[:_COLUMNS_NAMED])}{more}"


def prepare_target(
    frame: pd.DataFrame, target: str, kind: ColumnKind | None = None
) -> tuple[pd.Series, Task]:
    """Validate the target column and infer the task; returns the target the models use (see :func:`_checked_target`)."""
    y, task, _ = _checked_target(frame, target, kind)
    return y, task


def left_out_note(classes: tuple[str, ...], target: str, kept: list[str]) -> str:
    """The sentence for classes of one row left out of the comparison (``kept``: the classes that remain)."""
    named = _listed([f"'{wording.one_line(name)}'" for name in classes[:_COLUMNS_NAMED]], len(classes) - _COLUMNS_NAMED)
    if len(classes) == 1:
        return (f"class {named} of target '{target}' has only 1 row{_letter_case_slip(classes[0], kept)}, too few "
                f"to both train and test on: that row was left out, and the models predict the other {len(kept)} classes")
    return (f"classes {named} of target '{target}' have only 1 row each, too few to both train and test on: "
            f"those {len(classes)} rows were left out, and the models predict the other {len(kept)} classes")


def _letter_case_slip(rare: str, classes: Any) -> str:
    """A typing slip ("no" among "No") is the usual rare class: the words naming the class it was meant to be."""
    same_letters = [c for c in classes if c != rare and str(c).casefold() == rare.casefold()]
    return f" (it differs from '{wording.one_line(same_letters[0])}' only in letter case)" if same_letters else ""


def _listed(items: list[str], more: int) -> str:
    if more > 0:
        return ", ".join(items) + f" and {more:,} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _checked_target(
    frame: pd.DataFrame, target: str, kind: ColumnKind | None = None
) -> tuple[pd.Series, Task, tuple[str, ...]]:
    """Validate the target column and infer the task: the non-missing target, its task, the classes left out.

    A class of a single row cannot be both trained and tested on. A few such rows (a typing slip, a
    category seen once; at most ``thresholds.RARE_CLASS_MAX_SHARE`` of the labelled rows, two classes
    remaining) are left out, and the task is that of the classes that remain; more, and the table is refused.
    """
    if target not in frame.columns:
        raise DataError(_target_not_found(target, [str(c) for c in frame.columns]))
    if frame.shape[1] < 2:
        raise DataError("the table needs at least one feature column besides the target")
    y = frame[target].dropna()
    if y.empty:
        raise DataError(f"target column '{target}' has no values (all missing)")
    distinct = int(y.nunique())  # counted once: the task, the classes and the identifier check all use it
    if distinct < 2:
        raise DataError(f"target column '{target}' has only one value; there is nothing to predict")
    kind = kind or column_kind(frame[target])
    if kind is ColumnKind.IDENTIFIER:
        raise DataError(f"target column '{target}' looks like an identifier (a different value in every row)")
    if kind is ColumnKind.TEXT:
        raise DataError(f"target column '{target}' holds free text; choose a label or numeric column")
    if kind is ColumnKind.DATETIME:
        raise DataError(f"target column '{target}' holds dates; choose a label or numeric column")
    task = _infer_task(y, distinct)
    if len(y) < th.MIN_ROWS:
        raise DataError(f"only {len(y)} rows have a target value; at least {th.MIN_ROWS} are needed")
    left_out: tuple[str, ...] = ()
    if task.is_classification:
        labels = y.astype(str)
        counts = labels.value_counts()
        rare = counts[counts < th.MIN_ROWS_PER_CLASS]
        few = rare.sum() <= th.RARE_CLASS_MAX_SHARE * len(y) and len(y) - rare.sum() >= th.MIN_ROWS
        if len(rare) and not (few and len(counts) - len(rare) >= 2):
            raise DataError(
                f"class '{wording.one_line(rare.index[0])}' of target '{target}' has {int(rare.iloc[0])} row"
                f"{_letter_case_slip(rare.index[0], counts.index)}; "
                f"each class needs at least {th.MIN_ROWS_PER_CLASS} to split into train and test"
            )
        if len(rare):
            left_out = tuple(str(name) for name in rare.index)
            y = y[~labels.isin(rare.index)]
            counts = counts[counts >= th.MIN_ROWS_PER_CLASS]
            distinct = len(counts)
            task = _infer_task(y, distinct)
        if len(counts) > limits.MAX_CLASSES:
            raise DataError(
                f"target column '{target}' has {len(counts):,} classes; the limit is {limits.MAX_CLASSES} "
                "(choose another target or group rare classes)"
            )
        if distinct / max(len(y), 1) >= th.IDENTIFIER_UNIQUE_SHARE and len(y) > 20:  # unique_share(y)
            raise DataError(f"target column '{target}' looks like an identifier (a different value in every row)")
    return y, task, left_out


def unique_share(series: pd.Series) -> float:
    return series.nunique() / max(len(series), 1)


def _infer_task(y: pd.Series, distinct: int | None = None) -> Task:
    """``distinct``: ``y.nunique()`` when the caller has counted it already."""
    distinct = int(y.nunique()) if distinct is None else distinct
    if ptypes.is_numeric_dtype(y) and not ptypes.is_bool_dtype(y):
        values = y.to_numpy(dtype=float)
        integer = bool(np.all(np.mod(values, 1) == 0))
        if not integer or distinct > th.MAX_CLASSES_FOR_NUMERIC_TARGET:
            return Task.REGRESSION
    return Task.BINARY if distinct == 2 else Task.MULTICLASS


_URL = re.compile(r"^\s*(https?://|www\.)\S*\s*$", re.IGNORECASE)


def _is_free_text(sample: pd.Series, unique_share_: float) -> bool:
    """Several words per value on average, mostly distinct values, not URLs.

    Look-alikes that are not text: names and short codes (few words), a long
    category repeated across rows (few distinct values), links (one "word").
    """
    if unique_share_ < th.FREE_TEXT_MIN_UNIQUE_SHARE:
        return False  # before the words: splitting every value goes through Python (3,000 columns: 5 s)
    if float(sample.str.split().str.len().mean()) < th.FREE_TEXT_MIN_MEAN_WORDS:
        return False
    return float(sample.str.match(_URL).mean()) < 0.5


def _is_consecutive(values: pd.Series) -> bool:
    ordered = np.sort(values.to_numpy(dtype=float))
    return bool(np.all(np.diff(ordered) == 1))


_DATE_NUMBERS = "[0-9]{1,4}[-/.:][0-9]{1,2}"  # "2023-01-05", "5/1/23", "10:30"
_NUMBERS_OR_YEAR = f"{_DATE_NUMBERS}|[0-9]{{4}}"
#: A month by its name or its first letters, a word of its own ("January 7, 2018", "7 Jan 2018", "Sept. 2019").
_MONTH_NAME = (r"(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b")


def _parses_as_datetime(sample: pd.Series) -> bool:
    # Plain numbers ("3", "2.5") would parse as dates; require a date separator, or a month's name with a year of
    # four digits: "May 5" alone would be read in the year of reading, a feature that moves every new year.
    # Digits spelled out: pandas hands \d to Python's re value by value; [0-9] is matched in Arrow.
    # One pass for both (most text columns stop here: a pass costs each of 3,000 columns of a wide table).
    if not sample.str.contains(_NUMBERS_OR_YEAR, regex=True).mean() >= th.DATETIME_PARSE_SHARE:
        return False
    written = sample.str.contains(_DATE_NUMBERS, regex=True)
    if not written.mean() >= th.DATETIME_PARSE_SHARE:
        named = sample.str.contains(_MONTH_NAME, regex=True) & sample.str.contains("[0-9]{4}", regex=True)
        if not (written | named).mean() >= th.DATETIME_PARSE_SHARE:
            return False
    return float(parse_dates(sample).notna().mean()) >= th.DATETIME_PARSE_SHARE

