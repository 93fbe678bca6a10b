"""Reading user CSVs robustly.

Everything here treats the bytes as untrusted: anything that cannot become a
usable table raises :class:`DataError` with one sentence a user can act on.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["DataError", "DEFAULT_MAX_BYTES", "read_csv_bytes", "read_csv_path", "read_file_bytes", "clean_column_names"]

#: Uploads larger than this are refused before parsing (matches .streamlit/config.toml).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

# utf-8-sig also reads plain UTF-8 and strips a byte-order mark; cp1252 covers
# Excel exports on Windows; latin-1 decodes any byte so it is the last resort.
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024


class DataError(ValueError):
    """The data cannot be used; ``str(error)`` is a one-line message for the user."""


def read_file_bytes(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A file's bytes, refused before reading when it is missing or over ``max_bytes``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(_too_big(size, max_bytes))
    return path.read_bytes()


def read_csv_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a CSV file from disk (see :func:`read_csv_bytes`)."""
    return read_csv_bytes(read_file_bytes(path, max_bytes), max_bytes=max_bytes)


def read_csv_bytes(raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Parse CSV bytes into a DataFrame with clean, unique column names.

    Detects the encoding (UTF-8 with or without BOM, cp1252, latin-1) and the
    delimiter (comma, semicolon, tab, pipe); treats ``inf`` as missing.
    """
    if len(raw) > max_bytes:
        raise DataError(_too_big(len(raw), max_bytes))
    if not raw.strip():
        raise DataError("the file is empty")
    if _looks_binary(raw):
        raise DataError("the file is not a text CSV (it contains binary data); export it as CSV first")
    text = _decode(raw)
    delimiter = _detect_delimiter(text[:_SNIFF_CHARS])
    header = next(csv.reader(io.StringIO(text[:_SNIFF_CHARS]), delimiter=delimiter), [])
    names = clean_column_names(header)
    if len(names) < 2:
        raise DataError("the file has fewer than 2 columns; a table needs features and a target")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            skiprows=1,
            names=names,
            skipinitialspace=True,
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as error:
        detail = str(error).strip().splitlines()[-1] if str(error).strip() else "malformed rows"
        raise DataError(f"the CSV could not be parsed ({detail})") from None
    except (ValueError, UnicodeError) as error:
        raise DataError(f"the CSV could not be parsed ({error})") from None
    frame = frame.dropna(how="all")
    if frame.empty:
        raise DataError("the file has a header but no data rows")
    numeric = frame.select_dtypes(include="number").columns
    if len(numeric):
        frame[numeric] = frame[numeric].replace([np.inf, -np.inf], np.nan)
    return frame.reset_index(drop=True)


def clean_column_names(header: list[str]) -> list[str]:
    """Strip, drop control characters, name blanks ``column_N`` and make duplicates unique."""
    names: list[str] = []
    seen: set[str] = set()
    for position, raw_name in enumerate(header, start=1):
        name = "".join(ch for ch in str(raw_name) if unicodedata.category(ch)[0] != "C").strip()
        name = re.sub(r"\s+", " ", name) or f"column_{position}"
        candidate, suffix = name, 1
        while candidate in seen:
            candidate = f"{name}.{suffix}"
            suffix += 1
        seen.add(candidate)
        names.append(candidate)
    return names


def _too_big(size: int, limit: int) -> str:
    return f"the file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB"


def _looks_binary(raw: bytes) -> bool:
    head = raw[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return control > 0.05 * len(head)


def _decode(raw: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError("the file's text encoding could not be read")  # unreachable: latin-1 decodes anything


def _detect_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        raise DataError("the file is empty")
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        # Sniffer gives up on one-column files and ragged quoting: pick the
        # delimiter that appears most consistently in the header line.
        counts = {d: lines[0].count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
