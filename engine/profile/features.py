"""Turning profiled columns into model inputs, and encoded features back into columns.

Both model families get the same column selection and the same encoding of
categories and dates, so their explanations can be summed back to the user's
original columns and compared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from engine.common import limits
from engine.io.dates import days_since_epoch, parse_dates, writes_day_first
from engine.profile.profile import ColumnKind, DatasetProfile

__all__ = [
    "PART_SEPARATOR", "DATE_PARTS", "date_parts", "make_preprocessor", "original_column", "group_by_original_column"
]

# Separates an original column name from the part an encoder made of it
# ("colour\x1fred"). Control characters are stripped from user column names on
# load (engine.io.data.clean_column_names), so the split is unambiguous.
PART_SEPARATOR = "\x1f"
MAX_ONE_HOT_CATEGORIES = limits.MAX_CATEGORIES_PER_COLUMN  # the rest share one "infrequent" feature


def make_preprocessor(profile: DatasetProfile, *, for_network: bool) -> ColumnTransformer:
    """Column transformer for the profile's feature columns.

    Trees take numbers as they are (LightGBM handles missing values natively);
    the network gets median-imputed, standardised numbers.
    """
    kinds = {c.name: c.kind for c in profile.columns}
    numeric = [c for c in profile.feature_columns if kinds[c] is ColumnKind.NUMERIC]
    categorical = [c for c in profile.feature_columns if kinds[c] is ColumnKind.CATEGORICAL]
    dates = [c for c in profile.feature_columns if kinds[c] is ColumnKind.DATETIME]
    to_float = FunctionTransformer(_to_float, feature_names_out="one-to-one")
    numeric_steps: list[tuple[str, object]] = [("to_float", to_float)]
    if for_network:
        numeric_steps += [("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("scale", StandardScaler())]
    date_steps: list[tuple[str, object]] = [("expand", date_parts())]
    if for_network:
        date_steps += [("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("scale", StandardScaler())]
    categorical_steps = [
        ("as_text", FunctionTransformer(_as_text, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
        (
            "one_hot",
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=MAX_ONE_HOT_CATEGORIES,
                sparse_output=False,
                dtype=np.float32,
                feature_name_combiner=_combine_name,
            ),
        ),
    ]
    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps), _selection(numeric)))
    if categorical:
        transformers.append(("categorical", Pipeline(categorical_steps), _selection(categorical)))
    if dates:
        transformers.append(("dates", Pipeline(date_steps), _selection(dates)))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False, sparse_threshold=0.0)


#: Longer column lists are selected through :class:`ColumnsNamed` (see there).
_LONG_SELECTION = 200


def _selection(names: list[str]) -> "list[str] | ColumnsNamed":
    return ColumnsNamed(names) if len(names) > _LONG_SELECTION else names


class ColumnsNamed:
    """A ColumnTransformer column selector: a mask of the frame's columns that are in ``names`` (kept in the frame's order).

    scikit-learn resolves a list of names with ``list.index`` per name, which is
    quadratic: seconds per fit on a 10,000-column table. A boolean mask is
    resolved in one step. At transform time scikit-learn checks that the
    frame's column names match those seen in fit, so the mask stays aligned.
    """

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)

    def __call__(self, X: pd.DataFrame) -> np.ndarray:
        wanted = set(self.names)
        return np.fromiter((str(name) in wanted for name in X.columns), dtype=bool, count=X.shape[1])

    def __repr__(self) -> str:
        return f"ColumnsNamed({len(self.names)} columns)"


def original_column(encoded_name: str) -> str:
    """The user's column an encoded feature came from."""
    return encoded_name.split(PART_SEPARATOR, 1)[0]


def group_by_original_column(values: np.ndarray, encoded_names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Sum axis 1 of ``values`` (rows x encoded features [x outputs]) per original column."""
    # A dict keeps first-seen order; a list's ``in`` made this quadratic (minutes on 10,000 columns).
    index: dict[str, int] = {}
    positions = np.array([index.setdefault(original_column(name), len(index)) for name in encoded_names], dtype=int)
    grouped = np.zeros((values.shape[0], len(index)) + values.shape[2:], dtype=float)
    np.add.at(grouped, (slice(None), positions), values)
    return grouped, list(index)


DATE_PARTS = ("days", "month", "weekday")


def date_parts() -> "DateParts":
    """Dates as numbers: days since epoch, month, day of week (NaN where unparseable)."""
    return DateParts()


class DateParts(TransformerMixin, BaseEstimator):
    """Each date column as three numbers: days since epoch, month, day of week (NaN where unparseable).

    Whether a column writes its dates day first (25/01/2023) is decided in ``fit``, on the training rows, and
    kept in ``day_first_``: a later batch (the test rows, one row that SHAP perturbs) may hold only ambiguous
    dates (05/01/2023) and must read them the same way.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> "DateParts":
        X = pd.DataFrame(X)
        self.feature_names_in_ = np.asarray([str(name) for name in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self.day_first_ = [writes_day_first(X[name]) for name in X.columns]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        return _date_parts(pd.DataFrame(X), getattr(self, "day_first_", None))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        names = self.feature_names_in_ if input_features is None else np.asarray(input_features, dtype=object)
        return _date_part_names(self, names)


def _date_parts(X: pd.DataFrame, day_first: list[bool] | None = None) -> np.ndarray:
    # Also the function of runs saved before DateParts (a FunctionTransformer of it): they still open.
    blocks = []
    for position, name in enumerate(X.columns):
        dates = parse_dates(X[name], day_first=None if day_first is None else day_first[position])
        days = days_since_epoch(dates)
        blocks += [days.to_numpy(float), dates.dt.month.to_numpy(float), dates.dt.dayofweek.to_numpy(float)]
    return np.column_stack(blocks) if blocks else np.empty((len(X), 0))


def _date_part_names(transformer: object, input_features: np.ndarray) -> np.ndarray:
    return np.asarray([f"{name}{PART_SEPARATOR}{part}" for name in input_features for part in DATE_PARTS], dtype=object)


def _to_float(X: pd.DataFrame) -> np.ndarray:
    """Numbers (and booleans) as float64 so every estimator sees one dtype."""
    if all(isinstance(dtype, np.dtype) and dtype.kind in "fiub" for dtype in X.dtypes):
        # Already plain numpy numbers (every column of a wide numeric table): one conversion, not one
        # pd.to_numeric per column, which took seconds per call on 10,000 columns.
        return X.to_numpy(dtype=float)
    return X.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _as_text(X: pd.DataFrame) -> np.ndarray:
    """Categories as Python strings (pandas 3 'str' dtype and mixed types alike), missing kept as NaN."""
    values = X.astype(object).to_numpy()
    missing = pd.isna(values)
    text = values.astype(str).astype(object)
    text[missing] = np.nan
    return text


def _combine_name(column: str, category: object) -> str:
    return f"{column}{PART_SEPARATOR}{category}"
