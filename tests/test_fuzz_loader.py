"""Property tests (Hypothesis): any bytes into the loader and the profiler give a profile or one DataError line.

``make test`` runs a few hundred examples per property. The longer run is

    FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest tests/test_fuzz_loader.py -q

(10,000 examples for each property, a few minutes on two cores). Any exception
other than engine.io.data.DataError, a message that is not one line, or a frame
that breaks the loader's promises fails the run and Hypothesis prints the
smallest input that does it.
"""

from __future__ import annotations

import codecs
import math
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.api import types as ptypes

from engine.common import limits
from engine.io.data import DataError, read_csv_bytes
from engine.profile.profile import profile_dataset

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a shared two-core machine makes single examples slow at times
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text that stresses a CSV parser: delimiters, quotes, line breaks, formulas, markup, odd numbers.
_ALPHABET = st.sampled_from(list(',;\t|"\'\n\r =+-@<>&.eE0123456789abcXYZ éœ€\u2028\ufeff\x1f'))
_NUMBER = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["inf", "-inf", "Infinity", "1e309", "-1e309", "1e300", "NaN", "nan", "", "1,000", "1.234,5", "0x1F"]),
)
_CELL = st.one_of(_NUMBER, st.text(_ALPHABET, max_size=12), st.sampled_from(["yes", "no", "2024-01-31", "=1+1", "<b>x</b>"]),
                  # what the spreadsheet repairs read: totals, units, numbers with a unit, Swiss and SAP numbers,
                  # clock times, stray spaces, typographic minus signs and dashes, quoted decimal commas, counts
                  # written N+, amounts with K, M or B, two-letter codes beside NA, statistics offices' '..' and
                  # notes under the table, Eurostat's flags, Qualtrics' import ids
                  st.sampled_from(["Total", "Average:", "kg", "85 m²", "3 rooms", "1'234.50", "1.234,56-", "12:45",
                                   "1:02:33", "yes ", " no", "(1,200)", "12 %", "−5", "−", "—", '"12,50"', "1,5 €",
                                   "90+", "5+-", "€110.5M", "1.2 K", "2 GB", "NA", "FR", "..",
                                   "Source: the World Bank", "405241.0 p", ": c",
                                   '{"ImportId":"QID1"}']))


@st.composite
def csv_like(draw: st.DrawFn) -> bytes:
    """A table as text: random cells, a random delimiter, quoting, ragged rows and an encoding."""
    delimiter = draw(st.sampled_from(",;\t|"))
    width = draw(st.integers(1, 6))
    rows = draw(st.lists(st.lists(_CELL, min_size=max(width - 1, 0), max_size=width + 1), max_size=40))
    header = draw(st.lists(st.text(_ALPHABET, max_size=8), min_size=width, max_size=width))

    def line(cells: list[str]) -> str:
        quote = draw(st.booleans())
        return delimiter.join(f'"{c.replace(chr(34), chr(34) * 2)}"' if quote else c for c in cells)

    text = "\n".join(line(r) for r in [header, *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]))
    raw = text.encode(encoding, errors="replace")
    return codecs.BOM_UTF8 + raw if encoding == "utf-8" and draw(st.booleans()) else raw


def check_loader_and_profiler(raw: bytes) -> None:
    try:
        frame = read_csv_bytes(raw)
    except DataError as error:
        assert_one_line(error)
        return
    assert frame.shape[1] >= 2 and len(frame) >= 1
    assert frame.columns.is_unique and all(isinstance(c, str) and c for c in frame.columns)
    for name in frame.columns:
        column = frame[name]
        if ptypes.is_float_dtype(column):
            values = column.dropna().to_numpy(dtype=float)
            assert np.isfinite(values).all() and (np.abs(values) < limits.MAX_ABS_NUMBER).all(), name
    try:
        profile = profile_dataset(frame)
    except DataError as error:
        assert_one_line(error)
        return
    summary = profile.to_dict()
    assert summary["rows"] == len(frame) and summary["target"] in frame.columns
    assert all(math.isfinite(v) for v in summary["class_balance"].values())


def assert_one_line(error: DataError) -> None:
    message = str(error)
    assert message.strip() and "\n" not in message and "Traceback" not in message, message


@FUZZ
@given(st.binary(max_size=3_000))
def test_any_bytes_give_a_profile_or_a_data_error(raw: bytes) -> None:
    check_loader_and_profiler(raw)


@FUZZ
@given(csv_like())
def test_any_csv_like_text_gives_a_profile_or_a_data_error(raw: bytes) -> None:
    check_loader_and_profiler(raw)


@FUZZ
@given(csv_like(), st.data())
def test_any_column_as_target_gives_a_profile_or_a_data_error(raw: bytes, data: st.DataObject) -> None:
    try:
        frame = read_csv_bytes(raw)
    except DataError:
        return
    target = data.draw(st.sampled_from(list(frame.columns)))
    try:
        profile_dataset(frame, target)
    except DataError as error:
        assert_one_line(error)


def test_the_properties_can_fail() -> None:
    """The check is not vacuous: a frame with an infinity or a bare ValueError would fail it."""
    import pytest

    from engine.io import data

    original = data.read_csv_bytes
    try:
        data_frame = pd.DataFrame({"a": [1.0, math.inf], "b": ["x", "y"]})
        globals()["read_csv_bytes"] = lambda raw: data_frame
        with pytest.raises(AssertionError):
            check_loader_and_profiler(b"a,b\n1,inf\n")

        def broken(raw: bytes) -> pd.DataFrame:
            raise ValueError("Input contains NaN.")

        globals()["read_csv_bytes"] = broken
        with pytest.raises(ValueError):
            check_loader_and_profiler(b"x")
    finally:
        globals()["read_csv_bytes"] = original
