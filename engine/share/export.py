"""Tables offered for download as CSV, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some spreadsheets skip before reading a formula) is run as a
formula by Excel, LibreOffice and Google Sheets: ``=HYPERLINK(...)`` in an
uploaded column name would become a live link in the user's export. Following
OWASP's "CSV injection" advice, such text cells get a leading apostrophe,
which spreadsheets show as text and do not evaluate. Numbers stay numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.api import types as ptypes

__all__ = ["FORMULA_PREFIXES", "neutralise", "safe_csv_bytes"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_csv_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """``frame`` as UTF-8 CSV with every formula-leading text cell, column name and index label neutralised."""
    safe = frame.copy()
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if not (ptypes.is_numeric_dtype(column) or ptypes.is_bool_dtype(column) or ptypes.is_datetime64_any_dtype(column)):
            safe.isetitem(position, column.map(neutralise, na_action="ignore").astype(object))
    safe.columns = [neutralise(str(name)) for name in safe.columns]
    if index:
        safe.index = safe.index.map(lambda label: neutralise(str(label)))
        if safe.index.name is not None:
            safe.index.name = neutralise(str(safe.index.name))
    return safe.to_csv(index=index).encode("utf-8")
