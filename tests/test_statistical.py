"""engine.io.statistical: a Stata (.dta) or SPSS (.sav) file uploaded instead of a CSV is read as the table it holds."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from engine.io.data import DataError
from engine.io.dataset import load_dataset_bytes
from engine.io.statistical import read_statistical_file


def _wages(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, rows).astype("int16"),
        "wage": rng.normal(20, 5, rows).round(3),
        "sex": pd.Categorical(rng.choice(["female", "male"], rows)),  # stored as codes with value labels
        "hired": pd.date_range("2001-01-01", periods=rows, freq="W"),
        "union": rng.choice([0, 1], rows).astype("int8"),
    })
    frame.loc[2, "wage"] = np.nan
    return frame


def _dta(frame: pd.DataFrame, version: int) -> bytes:
    buffer = io.BytesIO()
    frame.to_stata(buffer, write_index=False, version=version, variable_labels={"wage": "hourly wage, USD"})
    return buffer.getvalue()


@pytest.mark.parametrize("version", [114, 118])  # Stata 10-12's binary format and Stata 14's XML-framed one
def test_a_stata_file_is_read_with_its_value_labels_and_dates(version: int) -> None:
    original = _wages()
    dataset = load_dataset_bytes("wages.dta", _dta(original, version))
    frame = dataset.frame
    assert list(frame.columns) == ["age", "wage", "sex", "hired", "union"]
    assert frame["sex"].tolist() == original["sex"].astype(str).tolist()  # the labels, not the codes
    assert frame["age"].tolist() == original["age"].tolist() and pd.isna(frame["wage"].iloc[2])
    assert frame["hired"].iloc[:2].tolist() == ["2001-01-07", "2001-01-14"]
    assert dataset.notes == ("read the Stata file: 120 observations × 5 variables",)


def test_what_is_not_a_stata_file_is_left_to_the_others_and_a_bad_one_is_one_line() -> None:
    assert read_statistical_file(b"a,b\n1,2\n", 10**6) is None
    raw = _dta(_wages(), 118)
    with pytest.raises(DataError, match=r"^the Stata file could not be read \(.+\); save it again, or as CSV$"):
        load_dataset_bytes("damaged.dta", raw[: len(raw) // 2])


def test_value_labels_that_name_two_codes_alike_leave_the_codes() -> None:
    # pandas cannot make categories of labels that repeat ("other" for 8 and 9): the codes are read instead.
    frame = pd.DataFrame({"region": np.tile([1, 2, 8, 9], 10).astype("int8"), "y": np.arange(40.0)})
    buffer = io.BytesIO()
    frame.to_stata(buffer, write_index=False, version=118,
                   value_labels={"region": {1: "north", 2: "south", 8: "other", 9: "other"}})
    read = load_dataset_bytes("regions.dta", buffer.getvalue()).frame
    assert read["region"].tolist()[:4] == [1, 2, 8, 9]


@pytest.mark.parametrize("compress", [False, True])  # .sav, and the compressed .zsav
def test_an_spss_file_is_read_with_its_value_labels_and_dates(tmp_path, compress: bool) -> None:
    import pyreadstat

    original = _wages().assign(sex=lambda f: f["sex"].cat.codes.astype(float) + 1)  # SPSS stores codes 1, 2
    path = tmp_path / "wages.sav"
    pyreadstat.write_sav(original, str(path), compress=compress, variable_value_labels={"sex": {1.0: "female", 2.0: "male"}})
    dataset = load_dataset_bytes("wages.sav", path.read_bytes())
    frame = dataset.frame
    assert frame["sex"].tolist() == _wages()["sex"].astype(str).tolist()
    assert frame["hired"].iloc[:2].tolist() == ["2001-01-07", "2001-01-14"] and pd.isna(frame["wage"].iloc[2])
    assert dataset.notes == ("read the SPSS file: 120 observations × 5 variables",)
    with pytest.raises(DataError, match=r"^the SPSS file could not be read \(\w+\); save it again, or as CSV$"):
        load_dataset_bytes("damaged.sav", path.read_bytes()[:300])
