"""engine.io.dates: the one date parser that the profile, the encoders, the charts and the reference script share."""

from __future__ import annotations

import ast
import warnings

import numpy as np
import pandas as pd

from engine.io.dates import days_since_epoch, parse_dates
from tests.conftest import ROOT


def test_mixed_formats_parse_and_the_rest_is_missing():
    values = pd.Series(["2024-02-29", "03/01/2024", "2024-03-02 12:00", "not a date", None], index=[5, 6, 7, 8, 9])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the parser keeps pandas' format warnings to itself
        dates = parse_dates(values)
    assert list(dates.index) == [5, 6, 7, 8, 9]
    assert list(dates[:3]) == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02 12:00")]
    assert dates[8:].isna().all()
    days = days_since_epoch(dates)
    assert days.iloc[0] == 19_782.0 and days.iloc[2] == 19_784.5  # 2024-02-29 is day 19,782 since 1970-01-01
    assert np.isnan(days.iloc[3])


def test_dates_are_parsed_in_one_place_only():
    """Every caller goes through engine.io.dates: no other module calls pd.to_datetime itself."""
    callers = []
    for path in [p for folder in ("engine", "benchmarks", "app_pages") for p in (ROOT / folder).rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "to_datetime":
                callers.append(str(path.relative_to(ROOT)))
    assert sorted(set(callers)) == ["engine/io/dates.py"]


def test_a_column_written_day_first_is_read_day_first_and_iso_dates_beside_it_are_not():
    european = pd.Series(["05/01/2023", "25/01/2023", "12.02.2023 10:30", None, "2023-01-05"])
    assert list(parse_dates(european)[:3]) == [
        pd.Timestamp("2023-01-05"), pd.Timestamp("2023-01-25"), pd.Timestamp("2023-02-12 10:30")]
    assert parse_dates(european).iloc[4] == pd.Timestamp("2023-01-05")  # ISO: year, month, day as always
    american = pd.Series(["05/01/2023", "01/25/2023"])
    assert list(parse_dates(american)) == [pd.Timestamp("2023-05-01"), pd.Timestamp("2023-01-25")]
    ambiguous = pd.Series(["05/01/2023", "06/02/2023"])  # no number above 12: month first, as pandas reads it
    assert parse_dates(ambiguous).iloc[0] == pd.Timestamp("2023-05-01")
    # Part of a day-first column (a model's test rows) is read with the whole column's decision.
    assert parse_dates(pd.Series(["05/01/2023"]), day_first=True).iloc[0] == pd.Timestamp("2023-01-05")
