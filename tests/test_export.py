"""engine.share.export: CSV downloads neutralise spreadsheet formulas and keep numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from engine.share.export import neutralise, safe_csv_bytes

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '  =HYPERLINK("http://x","y")']


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_leading_text_is_quoted(formula):
    assert neutralise(formula) == "'" + formula


@pytest.mark.parametrize("plain", ["plain", "1+1", "a=b", "", "'already"])
def test_other_text_is_left_alone(plain):
    assert neutralise(plain) == plain


def test_csv_neutralises_cells_names_and_index_but_not_numbers():
    frame = pd.DataFrame(
        {"=cmd|' /C calc'!A0": ["=1+1", "ok", None], "amount": [-5.0, 2.0, np.nan], "@who": ["-2+3", "+x", "@y"]},
        index=pd.Index(["=row", "r2", "r3"], name="+ix"),
    )
    raw = safe_csv_bytes(frame, index=True)
    back = pd.read_csv(io.BytesIO(raw), index_col=0, keep_default_na=False)
    cells = [str(v) for v in back.to_numpy().ravel()] + list(back.columns) + list(back.index) + [back.index.name]
    for text in cells:
        assert not text.lstrip(" ").startswith(("=", "+", "@", "\t", "\r")), text
        assert not (text.startswith("-") and not text.lstrip("-").replace(".", "").isdigit()), text
    assert [float(v) for v in back["amount"].tolist()[:2]] == [-5.0, 2.0]  # numbers stay numbers, negative ones too
    assert b"\n'=row,'=1+1,-5.0," in raw
    assert back.loc["'=row", "'=cmd|' /C calc'!A0"] == "'=1+1"
    assert frame.loc["=row", "=cmd|' /C calc'!A0"] == "=1+1"  # the shown table is not changed
