"""A Stata data file (.dta), read as the table it holds.

Economists and social scientists keep their data as Stata files, and many public datasets ship only that way.
pandas reads them (no other library needed): value labels become the categories they name ("female", not 2),
Stata dates become dates. The table is written out as CSV text and read by the same reader as any upload
(:mod:`engine.io.data`), so its columns are typed and noted the same way whatever the file's format.
"""

from __future__ import annotations

import io
import warnings

import pandas as pd

from engine.io.data import DataError, load_notes, read_csv_bytes, too_big

__all__ = ["read_stata_file"]

_XML_MAGIC = b"<stata_dta>"  # Stata 13 and later (formats 117-119)
_BINARY_FORMATS = range(104, 116)  # Stata 7-12: the format's number, then the byte order (1 or 2), then 1


def read_stata_file(raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, tuple[str, ...]] | None:
    """The table of a Stata file, and notes; None when ``raw`` is not one.

    Raises :class:`DataError` for a file that cannot be read.
    """
    if not _is_stata(raw):
        return None
    try:
        table = _read(raw, categories=True)
    except ValueError as error:
        if "not unique" not in str(error):
            raise DataError(f"the Stata file could not be read ({_short(error)}); save it again, or as CSV") from None
        table = _read(raw, categories=False)  # two codes under one label: the codes, as Stata stores them
    except Exception as error:  # what a damaged file raises inside the reader
        raise DataError(f"the Stata file could not be read ({type(error).__name__}); save it again, or as CSV") from None
    if table.columns.empty:
        raise DataError("the Stata file holds no variables")
    if table.empty:
        raise DataError("the Stata file has variables but no observations")
    for name in table.columns[[pd.api.types.is_datetime64_any_dtype(t) for t in table.dtypes]]:
        dates = table[name]
        daily = bool((dates.dropna() == dates.dropna().dt.normalize()).all())
        table[name] = dates.dt.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M:%S")
    text = table.to_csv(index=False)
    if len(text) > max_bytes:
        raise DataError(too_big(len(text), max_bytes).replace("the file", "the Stata file as text", 1))
    frame = read_csv_bytes(text.encode("utf-8"), max_bytes=max_bytes)
    note = f"read the Stata file: {len(table):,} observations × {table.shape[1]} variables"
    return frame, (note, *load_notes(frame))


def _read(raw: bytes, categories: bool) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' remarks on the file's own labels and types
        return pd.read_stata(io.BytesIO(raw), convert_categoricals=categories)


def _is_stata(raw: bytes) -> bool:
    if raw.startswith(_XML_MAGIC):
        return True
    return len(raw) > 109 and raw[0] in _BINARY_FORMATS and raw[1] in (1, 2) and raw[2] == 1 and raw[3] == 0


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:120] or type(error).__name__
