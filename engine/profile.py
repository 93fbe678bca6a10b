"""What a dataset is: column kinds, task, target guess, balance, missing values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from engine import limits
from engine import thresholds as th
from engine.data import DataError
from engine.dates import parse_dates
from engine.images import pixel_column_names

__all__ = [
    "ColumnKind",
    "ColumnProfile",
    "DatasetProfile",
    "Task",
    "profile_dataset",
    "guess_target",
    "prepare_target",
]

_SAMPLE = 2_000
_TARGET_NAMES = re.compile(r"^(target|label|labels|class|y|outcome|response|diagnosis)$", re.IGNORECASE)
# Names that mean "what we predict" in practice (credit risk, churn, default,
# fraud, survival, species, price, …): matched as the whole name or its last
# word, and yes/no flags named is_* or has_*. Checked after the generic names.
_LABEL_WORDS = re.compile(
    r"(^|[_\s.-])(risk|churn|churned|default|defaulted|fraud|fraudulent|survived|survival|species|price|"
    r"sentiment|label|outcome|diagnosis|quality|grade|rating|category|exited|attrition|approved|converted|"
    r"sales|salary|purchase|purchased|status)$"
    r"|^(is|has)[_\s.-]",
    re.IGNORECASE,
)
_ID_NAMES = re.compile(r"(^id$|_id$|^id_|uuid|guid|^index$|^key$|^row ?(id|number)?$)", re.IGNORECASE)


class ColumnKind(str, Enum):
    """How a column is used; FEATURE_KINDS are fed to the tabular models."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"
    TEXT = "text"  # free text (reviews, tickets, messages): read by the text models (engine.kinds.text)
    IMAGE_PIXEL = "image_pixel"  # one pixel of an image (engine.images.detect_pixel_columns)
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
        }


def profile_dataset(frame: pd.DataFrame, target: str | None = None) -> DatasetProfile:
    """Profile ``frame``; ``target`` defaults to :func:`guess_target`.

    Raises DataError if the target is unusable (see :func:`prepare_target`).
    """
    pixels = pixel_column_names(frame, exclude=target)  # image pixels, by name, range and neighbourhood
    kinds = {name: ColumnKind.IMAGE_PIXEL if name in pixels else column_kind(frame[name]) for name in frame.columns}
    if target is None:
        target = guess_target(frame, kinds)
    y, task = prepare_target(frame, target, kinds.get(target))
    columns = [
        ColumnProfile(
            name=str(name),
            kind=kinds[name],
            missing_share=float(frame[name].isna().mean()),
            unique_values=int(frame[name].nunique(dropna=True)),
        )
        for name in frame.columns
    ]
    balance: dict[str, float] = {}
    if task.is_classification:
        balance = {str(k): float(v) for k, v in y.value_counts(normalize=True).items()}
    missing = float(frame.isna().to_numpy().mean()) if frame.size else 0.0
    return DatasetProfile(
        rows=len(frame), columns=columns, target=target, task=task,
        class_balance=balance, missing_share=missing,
    )


def column_kind(series: pd.Series) -> ColumnKind:
    """Classify one column from its dtype and a sample of its values."""
    values = series.dropna()
    if values.nunique() <= 1:
        return ColumnKind.CONSTANT
    if ptypes.is_bool_dtype(series):
        return ColumnKind.NUMERIC
    if ptypes.is_datetime64_any_dtype(series):
        return ColumnKind.DATETIME
    share = unique_share(values)
    if ptypes.is_numeric_dtype(series):
        is_integer = bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
        if is_integer and (_ID_NAMES.search(str(series.name)) and share >= th.IDENTIFIER_UNIQUE_SHARE):
            return ColumnKind.IDENTIFIER
        if is_integer and share == 1.0 and len(values) > 50 and _is_consecutive(values):
            return ColumnKind.IDENTIFIER
        return ColumnKind.NUMERIC
    text = values.astype(str)
    sample = text.sample(min(_SAMPLE, len(text)), random_state=0) if len(text) > _SAMPLE else text
    if _parses_as_datetime(sample):
        return ColumnKind.DATETIME
    if _is_free_text(sample, share):
        return ColumnKind.TEXT
    if share >= th.IDENTIFIER_UNIQUE_SHARE and len(values) > 20:
        return ColumnKind.IDENTIFIER
    return ColumnKind.CATEGORICAL


def guess_target(frame: pd.DataFrame, kinds: dict[str, ColumnKind] | None = None) -> str:
    """A column named like a label if there is one, else the last column that could be a label.

    A last column with a name that means a label in practice wins (the usual
    layout and the name agree: ``class`` … ``survived`` is about survival); then generic label
    names (``target``, ``label``, ``class``…), then names that mean a label in
    practice (``risk``, ``churn``, ``is_fraud``, ``price``, ``sales``…).
    Measured on the track record's corpus (``python -m engine track-record --corpus``).

    Identifiers, free text and dates are skipped; an empty or constant column is
    not, so that a broken target is reported rather than silently replaced.
    Never raises DataError: :func:`prepare_target` judges the guess.
    """
    kinds = kinds or {name: column_kind(frame[name]) for name in frame.columns}
    could_be_label = (ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.CONSTANT)
    usable = [n for n in frame.columns if kinds[n] in could_be_label]
    if usable and _LABEL_WORDS.search(str(usable[-1])):
        return str(usable[-1])
    for pattern in (_TARGET_NAMES, _LABEL_WORDS):
        for name in usable:
            if pattern.search(str(name)):
                return str(name)
    if usable:
        return str(usable[-1])
    return str(frame.columns[-1])


def prepare_target(
    frame: pd.DataFrame, target: str, kind: ColumnKind | None = None
) -> tuple[pd.Series, Task]:
    """Validate the target column and infer the task; returns the non-missing target."""
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:10]))
        raise DataError(f"target column '{target}' not found; columns are: {shown}")
    if frame.shape[1] < 2:
        raise DataError("the table needs at least one feature column besides the target")
    y = frame[target].dropna()
    if y.empty:
        raise DataError(f"target column '{target}' has no values (all missing)")
    if y.nunique() < 2:
        raise DataError(f"target column '{target}' has only one value; there is nothing to predict")
    kind = kind or column_kind(frame[target])
    if kind is ColumnKind.IDENTIFIER:
        raise DataError(f"target column '{target}' looks like an identifier (a different value in every row)")
    if kind is ColumnKind.TEXT:
        raise DataError(f"target column '{target}' holds free text; choose a label or numeric column")
    if kind is ColumnKind.DATETIME:
        raise DataError(f"target column '{target}' holds dates; choose a label or numeric column")
    task = _infer_task(y)
    if len(y) < th.MIN_ROWS:
        raise DataError(f"only {len(y)} rows have a target value; at least {th.MIN_ROWS} are needed")
    if task.is_classification:
        counts = y.astype(str).value_counts()
        rare = counts[counts < th.MIN_ROWS_PER_CLASS]
        if len(rare):
            raise DataError(
                f"class '{rare.index[0]}' of target '{target}' has {int(rare.iloc[0])} row; "
                f"each class needs at least {th.MIN_ROWS_PER_CLASS} to split into train and test"
            )
        if len(counts) > limits.MAX_CLASSES:
            raise DataError(
                f"target column '{target}' has {len(counts):,} classes; the limit is {limits.MAX_CLASSES} "
                "(choose another target or group rare classes)"
            )
        if unique_share(y) >= th.IDENTIFIER_UNIQUE_SHARE and len(y) > 20:
            raise DataError(f"target column '{target}' looks like an identifier (a different value in every row)")
    return y, task


def unique_share(series: pd.Series) -> float:
    return series.nunique() / max(len(series), 1)


def _infer_task(y: pd.Series) -> Task:
    if ptypes.is_numeric_dtype(y) and not ptypes.is_bool_dtype(y):
        values = y.to_numpy(dtype=float)
        integer = bool(np.all(np.mod(values, 1) == 0))
        if not integer or y.nunique() > th.MAX_CLASSES_FOR_NUMERIC_TARGET:
            return Task.REGRESSION
    return Task.BINARY if y.nunique() == 2 else Task.MULTICLASS


_URL = re.compile(r"^\s*(https?://|www\.)\S*\s*$", re.IGNORECASE)


def _is_free_text(sample: pd.Series, unique_share_: float) -> bool:
    """Several words per value on average, mostly distinct values, not URLs.

    Look-alikes that are not text: names and short codes (few words), a long
    category repeated across rows (few distinct values), links (one "word").
    """
    mean_words = float(sample.str.split().str.len().mean())
    if mean_words < th.FREE_TEXT_MIN_MEAN_WORDS or unique_share_ < th.FREE_TEXT_MIN_UNIQUE_SHARE:
        return False
    return float(sample.str.match(_URL).mean()) < 0.5


def _is_consecutive(values: pd.Series) -> bool:
    ordered = np.sort(values.to_numpy(dtype=float))
    return bool(np.all(np.diff(ordered) == 1))


def _parses_as_datetime(sample: pd.Series) -> bool:
    # Plain numbers ("3", "2.5") would parse as dates; require a date separator.
    if not sample.str.contains(r"\d{1,4}[-/.:]\d{1,2}", regex=True).mean() >= th.DATETIME_PARSE_SHARE:
        return False
    return float(parse_dates(sample).notna().mean()) >= th.DATETIME_PARSE_SHARE

