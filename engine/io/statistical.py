"""A statistical package's data file, Stata (.dta) or SPSS (.sav, .zsav), read as the table it holds.

Economists, social scientists and market researchers keep their data in these formats, and many public
datasets ship only that way. Value labels become the categories they name ("female", not 2); the packages'
dates become dates. The table is written out as CSV text and read by the same reader as any upload
(:mod:`engine.io.data`), so its columns are typed and noted the same way whatever the file's format. Stata
files are read by pandas, SPSS files by pyreadstat (ReadStat, the C library R's haven uses too).
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings

import pandas as pd

from engine.io.columnar import read_arrow_table
from engine.io.data import DataError

__all__ = ["read_statistical_file"]

_STATA_XML_MAGIC = b"<stata_dta>"  # Stata 13 and later (formats 117-119)
_STATA_BINARY_FORMATS = range(104, 116)  # Stata 7-12: the format's number, the byte order (1 or 2), then 1, 0
_SPSS_MAGICS = (b"$FL2", b"$FL3")  # a .sav file, and a compressed .zsav one


def read_statistical_file(raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, tuple[str, ...]] | None:
    """The table of a Stata or SPSS file, and notes; None when ``raw`` is neither.

    Raises :class:`DataError` for a file that cannot be read or holds no observations.
    """
    if _is_stata(raw):
        package, read = "Stata", _read_stata
    elif raw.startswith(_SPSS_MAGICS):
        package, read = "SPSS", _read_spss
    else:
        return None
    try:
        table = read(raw)
    except DataError:
        raise
    except Exception as error:  # what a damaged file raises inside the readers
        raise DataError(f"the {package} file could not be read ({type(error).__name__}); save it again, or as "
                        "CSV") from None
    if table.columns.empty:
        raise DataError(f"the {package} file holds no variables")
    if table.empty:
        raise DataError(f"the {package} file has variables but no observations")
    import pyarrow as pa

    return read_arrow_table(pa.Table.from_pandas(table, preserve_index=False), max_bytes,
                            f"read the {package} file: {len(table):,} observations × {table.shape[1]} variables",
                            as_text=f"the {package} file as text")


def _read_stata(raw: bytes) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' remarks on the file's own labels and types
        try:
            return pd.read_stata(io.BytesIO(raw), convert_categoricals=True)
        except ValueError as error:
            if "not unique" not in str(error):
                raise
            # Two codes under one label ("other" for 8 and 9): pandas makes no categories of them; the codes.
            return pd.read_stata(io.BytesIO(raw), convert_categoricals=False)


def _read_spss(raw: bytes) -> pd.DataFrame:
    import pyreadstat

    # ReadStat reads from a path only: a private temporary file, removed at once.
    handle, path = tempfile.mkstemp(suffix=".sav")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(raw)
        table, _ = pyreadstat.read_sav(path, apply_value_formats=True)
    finally:
        os.unlink(path)
    # SPSS stores every number as a double: whole numbers are written as such ("43", not "43.0"), as in a CSV
    for name in table.columns[[pd.api.types.is_float_dtype(kind) for kind in table.dtypes]]:
        values = table[name].dropna()
        if len(values) and (values == values.round()).all() and values.abs().max() < 2**53:
            table[name] = table[name].astype("Int64")
    return table


def _is_stata(raw: bytes) -> bool:
    if raw.startswith(_STATA_XML_MAGIC):
        return True
    return (len(raw) > 109 and raw[0] in _STATA_BINARY_FORMATS and raw[1] in (1, 2) and raw[2] == 1
            and raw[3] == 0)
