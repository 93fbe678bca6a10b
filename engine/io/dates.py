"""One way to read dates, shared by the profile, the encoders, the charts and the benchmarks' reference script."""

from __future__ import annotations

import warnings

import pandas as pd

__all__ = ["parse_dates", "days_since_epoch"]

_EPOCH = pd.Timestamp("1970-01-01")


def parse_dates(values: pd.Series) -> pd.Series:
    """``values`` as datetimes, each value in its own format; NaT where unparseable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format" and friends: expected for mixed columns
        return pd.to_datetime(values, errors="coerce", format="mixed")


def days_since_epoch(dates: pd.Series) -> pd.Series:
    """Parsed dates as (fractional) days since 1970-01-01, NaN where missing."""
    return (dates - _EPOCH).dt.total_seconds() / 86_400.0
