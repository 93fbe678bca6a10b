"""Reading user CSVs robustly.

Everything here treats the bytes as untrusted: anything that cannot become a
usable table raises :class:`DataError` with one sentence a user can act on.
What was repaired on the way (skipped ragged rows, infinite numbers read as
missing, numbers written with thousands separators) is kept as sentences in
``frame.attrs["notes"]`` (read them with :func:`load_notes`), so every caller
can show them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types as ptypes

from engine.common import limits
from engine.common import wording

__all__ = [
    "DataError",
    "DEFAULT_MAX_BYTES",
    "read_csv_bytes",
    "read_csv_path",
    "read_file_bytes",
    "clean_column_names",
    "load_notes",
]

#: Uploads larger than this are refused before parsing (matches .streamlit/config.toml).
DEFAULT_MAX_BYTES = limits.MAX_UPLOAD_BYTES

# utf-8-sig also reads plain UTF-8 and strips a byte-order mark. Other text is
# a legacy code page, which charset-normalizer guesses among the likely ones
# (_LEGACY; fewer candidates, fewer wrong guesses: with every code page it read
# KOI8-R as Hebrew and latin-1 as Farsi); cp1252 (Excel on Windows) wins ties,
# and latin-1, which decodes any byte, is the last resort. UTF-16 and UTF-32
# (Excel's "Unicode text") are recognised by their byte-order mark or their
# pattern of zero bytes before these are tried.
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_LEGACY = {
    "cp1252": "Windows-1252 (Western European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1250": "Windows-1250 (Central European)",
    "koi8_r": "KOI8-R (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "shift_jis": "Shift JIS (Japanese)",
    "gb18030": "GB18030 (Chinese)",
    "big5": "Big5 (Traditional Chinese)",
    "euc_kr": "EUC-KR (Korean)",
}
_DETECT_BYTES = 256 * 1024  # charset-normalizer samples within this much of the file
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 50
# Lines before the header that hold no delimiter at all (a title, "exported on ...") are skipped.
_MAX_PREAMBLE_LINES = 3
# More rows than this share with the wrong number of fields, and the file is refused.
_MAX_RAGGED_SHARE = 0.2
_SEP_HINT = re.compile(r"^\s*sep=(.)\s*$")  # Excel's first-line delimiter hint
_THOUSANDS = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")  # 100,000.5
_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")  # 1.234,5 (files not separated by commas)
# One currency symbol before or after the number, or a percent sign after it: "$1,200.50", "-€3,5", "12 %".
_CURRENCIES = "$€£¥"
_UNIT_SYMBOLS = _CURRENCIES + "%"
# Spaces and digits spelled out rather than \s and \d, which pandas hands to Python's re value by value (RE2 reads
# them differently); spelled out, the whole column is matched in Arrow. The no-break spaces are French "12 %".
_SPACES = " \t\u00a0\u202f"
_SPACE = f"[{_SPACES}]"
# A number as spreadsheets export one: a sign, one currency sign before or after it or a percent sign after it,
# parentheses for a negative amount (accounting format: around the amount or after its currency), thousands
# grouped by commas, dots or spaces. Permissive: _written_numbers and _bare_to_numbers decide whether the whole
# column is one quantity written one way.
_NUMBER_AS_WRITTEN = re.compile(
    rf"\(?{_SPACE}*[+\-−]?{_SPACE}*[{_CURRENCIES}]?{_SPACE}*\(?[+\-−]?[0-9](?:[0-9.,]|{_SPACE}[0-9]|['’][0-9])*{_SPACE}*"
    rf"[{_UNIT_SYMBOLS}]?[-+]?{_SPACE}*\)?"
)
# Groups of exactly three digits, so that postcodes ("123 45") and phone numbers are not read as numbers.
_SPACE_GROUPED = f"[+-]?[0-9]{{1,3}}(?:{_SPACE}[0-9]{{3}})*(?:[.,][0-9]+)?"
# Swiss thousands ("1'234'567.50", with a straight or a typographic apostrophe), in groups of three as well.
_APOSTROPHE = "['’]"
_APOSTROPHE_GROUPED = f"[+-]?[0-9]{{1,3}}(?:{_APOSTROPHE}[0-9]{{3}})*(?:[.][0-9]+)?"
_UNIT_OR_PARENTHESIS = f"[{re.escape(_UNIT_SYMBOLS)}()]"
_TYPOGRAPHIC_MINUS = "\u2212"


class Written(NamedTuple):
    """A column of numbers as written (:func:`_written_numbers`): the values reduced to a sign, digits and separators."""

    bare: pd.Series
    unit: str | None
    in_parentheses: bool
    minus_after: bool
    typographic_minus: bool
    at_least: bool  # some value was written "10,000+"
_NOTES = "notes"


class DataError(ValueError):
    """The data cannot be used; ``str(error)`` is a one-line message for the user."""


def read_file_bytes(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A file's bytes, refused before reading when it is missing or over ``max_bytes``."""
    path = Path(path)
    if not path.is_file():
        if path.is_dir():  # said "file not found" of a folder that is there
            raise DataError(f"{path} is a folder, not a file: give the data as one file")
        if path.exists():
            raise DataError(f"{path} is not a regular file (a device or a pipe): give the data as one file")
        raise DataError(f"file not found: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(too_big(size, max_bytes))
    try:
        return path.read_bytes()
    except OSError as error:
        raise DataError(f"the file could not be read ({error.strerror or error})") from None


def read_csv_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a CSV file from disk (see :func:`read_csv_bytes`)."""
    return read_csv_bytes(read_file_bytes(path, max_bytes), max_bytes=max_bytes)


def read_csv_bytes(raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Parse CSV bytes into a DataFrame with clean, unique column names.

    Detects the encoding (UTF-8 with or without BOM, UTF-16/32, cp1252,
    latin-1) and the delimiter (comma, semicolon, tab, pipe, or Excel's
    ``sep=`` line); treats ``inf``, ``-inf`` and numbers too large for float32
    as missing; reads a text column of numbers with thousands separators
    (``"100,000"``) as numbers; skips rows with more fields than the header
    (with a note) unless there are many. Limits: ``max_bytes``,
    ``engine.common.limits.MAX_ROWS`` and ``MAX_COLUMNS``.
    """
    if len(raw) > max_bytes:
        raise DataError(too_big(len(raw), max_bytes))
    text, encoding_note = _decode(raw)
    if not text.strip():
        raise DataError("the file is empty")
    if "\x00" in text or _looks_binary(text):
        raise DataError("the file is not a text CSV (it contains binary data); export it as CSV first")
    notes: list[str] = [encoding_note] if encoding_note else []
    sample = _sniff_sample(text)
    first_line = sample.split("\n", 1)[0].strip("\r")
    hint = _SEP_HINT.match(first_line)
    if hint and hint.group(1) in _DELIMITERS:
        delimiter, start = hint.group(1), 1
    else:
        delimiter, start = _detect_delimiter(sample), 0
    records = _records(sample, delimiter)
    preamble = _preamble_records(records[start:])
    if preamble:
        notes.append(f"skipped {preamble} line(s) above the header")
    start += preamble
    header = records[start] if start < len(records) else []
    if len(header) > limits.MAX_COLUMNS:
        raise DataError(
            f"the table has {len(header):,} columns; the limit is {limits.MAX_COLUMNS:,}: keep the columns that matter"
        )
    names = clean_column_names(header)
    if len(names) < 2:
        raise DataError("the file has fewer than 2 columns; a table needs features and a target")
    widest = max((len(r) for r in records[start + 1:]), default=0)
    frame, ragged, codes = _parse(text, delimiter, names, start + 1, widest)
    notes += [f"column '{name}': 'NA' read as one of its two-letter codes (Namibia, North America), not as missing"
              for name in codes]
    # Trailing delimiters on every line (",,," after the last column, as spreadsheets export a selection
    # wider than the data) give columns with neither a name nor a value: not part of the table.
    unnamed_empty = [name for name, raw_name in zip(names, header) if not str(raw_name).strip()
                     and frame[name].isna().all()]
    if unnamed_empty:
        frame = frame.drop(columns=unnamed_empty)
        if frame.shape[1] < 2:
            raise DataError("the file has fewer than 2 columns with a name or a value; a table needs features "
                            "and a target")
        notes.append(f"{wording.count(len(unnamed_empty), 'empty column')} without a name "
                     f"(delimiters at the ends of the lines) {'was' if len(unnamed_empty) == 1 else 'were'} dropped")
    if frame.shape[1] > _CONSOLIDATE_ABOVE_COLUMNS:
        # The parser hands back one pandas block per column; on a wide table every later column selection
        # (dropna, the split, each model's preprocessing) then walks 10,000 blocks: 1.5 s per selection
        # against 0.03 s once copied into one block per dtype.
        frame = frame.copy()
    frame = frame.dropna(how="all")
    if ragged:
        total = len(frame) + ragged
        if ragged > _MAX_RAGGED_SHARE * total:
            raise DataError(
                f"{ragged:,} of {total:,} rows have more fields than the {len(names)} columns of the header; "
                "check the delimiter and the quoting"
            )
        notes.append(f"{ragged:,} row(s) with more fields than the header's {len(names)} were skipped")
    if frame.empty:
        raise DataError("the file has a header but no data rows")
    if len(frame) > limits.MAX_ROWS:
        raise DataError(f"the file has more than {limits.MAX_ROWS:,} rows, the limit; sample it before uploading")
    decimal_comma = delimiter != ","
    written_names = dict(zip(names, header))
    frame, footer_note = _drop_footer_notes(frame, text, delimiter)
    frame, survey_note = _drop_survey_header_rows(frame, text)
    spaces_note = _strip_spaces(frame, text, delimiter)
    frame, headers_note = _drop_repeated_headers(frame, written_names)
    frame, subtotals_note = _drop_subtotal_rows(frame, decimal_comma)
    frame, summary_note = _drop_summary_rows(frame, decimal_comma)
    frame, group_note = _header_under_group_titles(frame, written_names)
    frame, units_note = _drop_units_row(frame, decimal_comma)
    notes += [note for note in (footer_note, survey_note, spaces_note, headers_note, subtotals_note, summary_note,
                                group_note, units_note) if note]
    notes += _clean_numbers(frame, decimal_comma)
    frame = frame.reset_index(drop=True)
    frame.attrs[_NOTES] = notes
    return frame


#: Most lines of notes under a table that are dropped ("Data from database: …", "Last Updated: …", "Source: …").
_MAX_FOOTER_LINES = 10
#: A note is a phrase: two words, or a label and a colon. A lone value ("Zimbabwe") is a row of the table.
_PHRASE = re.compile(r"[^\W\d_][^\s:]*(?:\s+\S+|\s*:)", re.UNICODE)


def _drop_footer_notes(frame: pd.DataFrame, text: str, delimiter: str) -> tuple[pd.DataFrame, str | None]:
    """``frame`` without the lines of notes under the table, and a note quoting the first; else unchanged, None.

    Statistical downloads (the World Bank's, OECD's) end with lines such as "Data from database: World
    Development Indicators" and "Last Updated: 12/19/2023": one filled cell each. Read as rows they were
    examples with a made-up category and nothing else. Only trailing rows of a table of three or more
    columns, each with a single cell, which reads as a phrase, are dropped. The file's last lines are looked
    at first: on a wide table, counting the cells of its last rows in the frame took a tenth of a second.
    """
    if frame.shape[1] < 3 or len(frame) < 3:
        return frame, None
    last_lines = [line for line in text[-20_000:].splitlines() if line.strip(f'{delimiter} \t"')][-_MAX_FOOTER_LINES:]
    lines: list[str] = []
    for record in reversed(list(csv.reader(last_lines, delimiter=delimiter))):
        filled = [field.strip() for field in record if field.strip()]
        if len(filled) != 1 or not _PHRASE.match(filled[0]):
            break
        lines.append(filled[0])
    if not lines or len(frame) - len(lines) < 2:
        return frame, None
    tail = frame.iloc[len(frame) - len(lines):]
    if not (tail.notna().sum(axis=1) == 1).all():  # the lines were not those rows (a quoted field over lines)
        return frame, None
    first = lines[-1] if len(lines[-1]) <= 60 else lines[-1][:57] + "..."
    return frame.iloc[: len(frame) - len(lines)], (f"{wording.count(len(lines), 'line')} of notes under the table "
                                                   f"({first!r}) dropped")


#: Qualtrics writes, under the header of its "CSV with labels" export, a row of question texts and a row of
#: import ids, each cell an object such as {"ImportId":"QID1"}.
_IMPORT_ID = '{"ImportId":'


def _drop_survey_header_rows(frame: pd.DataFrame, text: str) -> tuple[pd.DataFrame, str | None]:
    """``frame`` without Qualtrics' rows of question texts and import ids under the header, and a note; else
    unchanged, None. Read as examples they made every answer column text (a category per answer)."""
    if "ImportId" not in text[:1_000_000]:  # the file's head first: taking a row of a wide frame costs milliseconds
        return frame, None
    for position in range(min(2, len(frame) - 1)):
        cells = frame.iloc[position].dropna().astype(str).str.replace(" ", "", regex=False)
        if len(cells) >= 2 and cells.str.startswith(_IMPORT_ID).all():
            body = frame.iloc[position + 1:].copy()
            _numbers_again(body)
            skipped = "the row of question texts and the row of import ids" if position else "the row of import ids"
            return body, f"skipped {skipped} under the header (a Qualtrics export)"
    return frame, None


def load_notes(frame: pd.DataFrame) -> list[str]:
    """What :func:`read_csv_bytes` repaired in ``frame``, one sentence each (empty if nothing)."""
    return list(frame.attrs.get(_NOTES, []))


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


# --- helpers -------------------------------------------------------------------------


def too_big(size: int, limit: int, what: str = "the file") -> str:
    """One line for ``what`` (the file, the file in a ZIP, a sheet as text) at ``size`` bytes over ``limit``."""
    # MB as Streamlit's server.maxUploadSize counts them (2**20 bytes), so the two limits read the same.
    return f"{what} is {size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB"


def _decode(raw: bytes) -> tuple[str, str]:
    """The text, and a note naming the encoding when it had to be guessed (a legacy code page, not Unicode)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return _strict_decode(raw, encoding), ""
    wide = _utf16_without_bom(raw)
    if wide:
        return _strict_decode(raw, wide), ""
    if b"\x00" in raw[:8192]:
        raise DataError("the file is not a text CSV (it contains binary data); export it as CSV first")
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    for encoding in (_guess_legacy_encoding(raw), *_ENCODINGS[1:]):
        if encoding is None:
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        label = _LEGACY.get(encoding, encoding)
        return text, f"the file is not UTF-8: it was read as {label} text; check that its letters look right"
    raise DataError("the file's text encoding could not be read")  # unreachable: latin-1 decodes anything


def _guess_legacy_encoding(raw: bytes) -> str | None:
    """charset-normalizer's guess among :data:`_LEGACY`: the least chaotic, cp1252 on a tie."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw[:_DETECT_BYTES], cp_isolation=list(_LEGACY)))
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    close = [m for m in matches if m.chaos <= least + 0.01]
    for match in close:
        if match.encoding == "cp1252" or _same_text(raw[:_DETECT_BYTES], match.encoding, "cp1252"):
            return "cp1252"  # charset-normalizer drops a code page that reads as one it tried first: a tie too
    return close[0].encoding


def _same_text(raw: bytes, encoding: str, other: str) -> bool:
    try:
        return raw.decode(encoding) == raw.decode(other)
    except UnicodeDecodeError:
        return False


def _strict_decode(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise DataError(f"the file starts like {encoding.upper()} text but is not valid {encoding.upper()}") from None


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when mostly ASCII text has a zero byte after (or before) every character."""
    head = raw[:4096]
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.7 and zeros_even < 0.1:
        return "utf-16-le"
    if zeros_even > 0.7 and zeros_odd < 0.1:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    head = text[:8192]
    control = sum(1 for ch in head if (ord(ch) < 32 and ch not in "\t\n\r") or ch == "\x7f")
    return "\x00" in head or control > 0.05 * len(head)


def _sniff_sample(text: str) -> str:
    """The start of ``text`` the delimiter and the header are read from: _SNIFF_CHARS, and at least the first lines whole.

    A wide table's header alone passes 64 KB (10,000 names of ten characters); cut
    there, its columns were miscounted (a 10,001-column file passed the limit).
    """
    end = 0
    for _ in range(_MAX_PREAMBLE_LINES + 3):  # a preamble, the header and two records
        newline = text.find("\n", end)
        if newline < 0:
            return text
        end = newline + 1
    return text[:max(_SNIFF_CHARS, end)]


def _records(sample: str, delimiter: str) -> list[list[str]]:
    """The first records of ``sample`` as the CSV reader splits them (a blank line is an empty record)."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) > _SNIFF_LINES:
                break
    except csv.Error as error:
        if not records:
            raise DataError(f"the CSV could not be parsed ({error})") from None
    return records


def _detect_delimiter(sample: str) -> str:
    """The delimiter that splits the most records into the same number (at least 2) of fields.

    csv.Sniffer judges by character frequencies and is misled by a header with
    commas inside quotes or a title line; counting fields with the real CSV
    reader for each candidate is not.
    """
    best, best_score = ",", (0.0, 0, 0)
    for delimiter in _DELIMITERS:
        try:
            records = [r for r in _records(sample, delimiter) if r]
        except DataError:
            continue
        if not records:
            continue
        fields, hits = Counter(len(r) for r in records).most_common(1)[0]
        if fields < 2:
            continue
        # A quote left inside a field means the quoting did not line up with this delimiter.
        stray = sum(1 for r in records for value in r if '"' in value)
        score = (hits / len(records), -stray, fields)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _preamble_records(records: list[list[str]]) -> int:
    """Records of at most one filled field at the top (a title, "exported on ...") above a header of several.

    Fields, not delimiters, are counted: Excel pads a title row with the sheet's width of empty fields
    ("Quarterly sales,,,,,"). A padded line is only a title when the line taken for the header then holds no
    number: "value," above "3,yes" is a header with one column unnamed.
    """
    def filled(record: list[str]) -> int:
        return sum(1 for field in record if field.strip())

    count = 0
    while count < min(_MAX_PREAMBLE_LINES, len(records)) and filled(records[count]) < 2:
        count += 1
    rest = [r for r in records[count:count + 3] if filled(r)][:2]
    if not count or len(rest) != 2 or not all(filled(r) >= 2 for r in rest):
        return 0
    padded = any(len(record) >= 2 for record in records[:count])
    if padded and any(_NUMBER_AS_WRITTEN.fullmatch(field.strip()) for field in rest[0]):
        return 0
    return count


def _parse(text: str, delimiter: str, names: list[str], skip: int, widest: int) -> tuple[pd.DataFrame, int, list[str]]:
    """The rows under ``names``, how many rows were dropped for having more fields than the header, and the
    columns whose two-letter code "NA" was put back (:func:`_codes_read_as_missing`).

    pandas reads ``widest`` positional columns (the widest row of the sample,
    at least the header's width) and skips, with a warning counted here, any
    row wider than that; rows wider than the header are then dropped too, and
    extra empty fields (a trailing delimiter) ignored. Giving pandas only the
    header's names would turn the extra leading fields of a long first row
    into an index, silently; giving none would let a short first row decide
    the width and drop every full row after it.
    """
    options = dict(
        encoding="utf-8", sep=delimiter, header=None, names=list(range(max(widest, len(names)))), skiprows=skip,
        index_col=False, skipinitialspace=True, skip_blank_lines=True, on_bad_lines="warn", nrows=limits.MAX_ROWS + 1,
    )
    # The text again as UTF-8 bytes, not a StringIO: pandas re-encodes a text stream piece by piece in Python,
    # which took 0.42 s of a 100,000-row file that parses in 0.25 s from bytes (encoding: 0.01 s).
    encoded = text.encode("utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(io.BytesIO(encoded), **options)
        except pd.errors.EmptyDataError:
            return pd.DataFrame(columns=names), 0, []
        except pd.errors.ParserError as error:
            detail = str(error).strip().splitlines()[-1] if str(error).strip() else "malformed rows"
            raise DataError(f"the CSV could not be parsed ({detail})") from None
        except (ValueError, UnicodeError, OverflowError, MemoryError) as error:
            raise DataError(f"the CSV could not be parsed ({' '.join(str(error).split())})") from None
    ragged = sum(str(w.message).count("Skipping line") for w in caught if issubclass(w.category, pd.errors.ParserWarning))
    codes = _codes_read_as_missing(frame, text, encoded, options)
    width = len(names)
    if frame.shape[1] > width:
        wide = frame.iloc[:, width:].notna().any(axis=1).to_numpy()
        frame = frame.iloc[~wide, :width]
        ragged += int(wide.sum())
        if wide.any():  # the dropped rows may have made a numeric column text: infer again
            frame = frame.apply(_numbers_if_all)
    frame.columns = names
    return frame, ragged, [names[position] for position in codes if position < width]


#: Two capital letters: ISO country codes ("NA" is Namibia) and continent codes ("NA" is North America).
_TWO_LETTER_CODE = "[A-Z]{2}"


def _codes_read_as_missing(frame: pd.DataFrame, text: str, encoded: bytes, options: dict[str, Any]) -> list[int]:
    """In place: "NA" put back where pandas read it as missing in a column of two-letter codes; those columns.

    pandas reads "NA" as missing everywhere, so a column of country or continent codes lost Namibia or North
    America without a word. It is put back only where every "NA" field of the file is in such columns: a file
    that writes NA for its missing numbers too (as R does) means missing by it, and is left as read.
    """
    if "NA" not in text:
        return []
    candidates = [
        column for column in frame.columns
        if not ptypes.is_numeric_dtype(frame[column]) and frame[column].isna().any()
        and len(values := frame[column].dropna()) and values.astype(str).str.fullmatch(_TWO_LETTER_CODE).all()
    ]
    if not candidates:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rows skipped were counted by the first reading
        literal = pd.read_csv(io.BytesIO(encoded), **options, usecols=candidates, dtype=str, keep_default_na=False,
                              na_values=[""])
    if len(literal) != len(frame):
        return []
    written = {column: (literal[column] == "NA").to_numpy() for column in candidates}
    delimiter = re.escape(options["sep"])
    everywhere = len(re.findall(rf'(?:^|{delimiter})[ \t]*"?NA"?[ \t]*(?={delimiter}|\r?$)', text, flags=re.MULTILINE))
    if everywhere != sum(int(mask.sum()) for mask in written.values()):
        return []
    restored = [column for column, mask in written.items() if mask.any()]
    for column in restored:
        frame[column] = frame[column].mask(written[column], "NA")
    return restored


def _strip_spaces(frame: pd.DataFrame, text: str, delimiter: str) -> str | None:
    """In place: spaces around the values of a text column removed where that joins two values or leaves one
    empty (then missing); a note counting them.

    Typed data keeps stray spaces ("Yes " beside "Yes"), which made a class of their own: one such cell in a
    target refused the whole table ("class 'Yes ' has 1 row"). The parser already drops the spaces after a
    delimiter; the file's text is searched for a space before a delimiter, a quote or a line end first, so a
    file without any costs nothing per column.
    """
    # One character first (5 ms on 32 MB without a space), then one expression (0.08 s); eight substring
    # searches took 0.29 s.
    if (" " not in text and "\t" not in text) or not re.search(f"[ \t][{re.escape(delimiter)}\"\n\r]", text):
        return None
    changed: dict[str, int] = {}
    for name, column in list(frame.items()):
        if not isinstance(column.dtype, pd.StringDtype):
            continue  # numbers, or a column pandas left mixed
        # Asked of Arrow, which already holds pandas' text (no copy): through pandas, the dropna, strip and
        # comparison of every column of a 3,000-column survey took 1.5 s, in Arrow 0.18 s.
        written = pa.array(column.array)
        if not pc.any(pc.not_equal(written, pc.utf8_trim_whitespace(written))).as_py():
            continue
        values = column.dropna()
        stripped = values.str.strip()
        differs = stripped != values
        # Only where it joins values or empties one: free text keeps its spaces, which change no word in it.
        if stripped.eq("").any() or stripped.nunique() < values.nunique():
            frame[name] = column.mask(differs, stripped.where(stripped != "")).astype(column.dtype)
            changed[name] = int(differs.sum())
    if not changed:
        return None
    shown = ", ".join(f"'{name}'" for name in list(changed)[:5]) + (", …" if len(changed) > 5 else "")
    return (f"spaces before or after {wording.count(sum(changed.values()), 'text value')} were removed "
            f"(in {shown}), so 'Yes ' and 'Yes' are one value")


def _drop_repeated_headers(frame: pd.DataFrame, written_names: dict[str, str]) -> tuple[pd.DataFrame, str | None]:
    """``frame`` without the rows that repeat the header, and a note counting them.

    Files joined one after another (``cat a.csv b.csv``, an export written in pages) repeat their header inside
    the data; read as an example, that row made every number column text and its target "class" had one row,
    which refused the table. ``written_names``: each column's name as the header wrote it.
    """
    named = [name for name in frame.columns if str(written_names.get(name, "")).strip()]
    if not named or all(_NUMBER_AS_WRITTEN.fullmatch(str(written_names[name]).strip()) for name in named):
        return frame, None  # a header of numbers only ("0,0") is no different from a row of data
    first = frame[named[0]]
    if ptypes.is_numeric_dtype(first) and not str(written_names[named[0]]).strip().lstrip("+-").isdigit():
        return frame, None  # a text header among its values would have made the column text
    candidates = first.astype("string").str.strip().eq(str(written_names[named[0]]).strip()).fillna(False)
    if not candidates.any():
        return frame, None
    rows = frame[candidates.to_numpy()]
    repeats = pd.Series(True, index=rows.index)
    for name in frame.columns:
        written = str(written_names.get(name, "")).strip()
        cells = rows[name].astype("string").str.strip()
        repeats &= cells.eq(written).fillna(False) | (cells.isna() & (written == ""))
    if not repeats.any() or repeats.sum() == len(frame):
        return frame, None
    body = frame.drop(index=repeats[repeats].index)
    _numbers_again(body)  # the repeated names had made number columns text
    count = int(repeats.sum())
    return body, (f"{wording.count(count, 'line')} inside the data repeating the header (files joined one after "
                  f"another) {'was' if count == 1 else 'were'} skipped")


# A spreadsheet report often ends in a row of totals (or averages) under its data: a label in one cell, the
# columns' sums in the others. Left in, it is one example whose numbers are hundreds of times the others' (a
# regression target's worst outlier) and whose label turns a number column into text. Words for it in the
# languages whose number formats the loader reads, with an optional trailing colon.
_SUMMARY_LABELS: dict[str, re.Pattern[str]] = {
    "sum": re.compile(r"(?:grand[ _-]?|sub[ _-]?)?totals?|sum|summe|gesamt(?:summe|ergebnis)?|total g[ée]n[ée]ral|"
                      r"totale|(?:eind)?totaal|suma|summa|итого|всего", re.IGNORECASE),
    "mean": re.compile(r"average|avg|mean|moyenne|durchschnitt|mittelwert|media|promedio|gemiddelde|среднее",
                       re.IGNORECASE),
}
_MAX_SUMMARY_ROWS = 3
# A written total is rounded to what the sheet displays; a data row equal to its column's sum within this
# share, and labelled as a total, is not an example.
_SUMMARY_TOLERANCE = 1e-3


# Excel's Data > Subtotal (and a pivot table's export) writes a row "<group> Total" after each group's rows,
# in the group's column, with the group's sums: "North Total" after the North rows. Read as examples they
# double every sum; the trailing "Grand Total" then fails its own check, as the rows above it hold each
# amount twice.
# str.endswith / startswith in Arrow: a quarter of a regular expression's time. English, German ("Nord Ergebnis")
# and Dutch ("Noord Totaal") Excel put the word after the group; French, Spanish and Portuguese ("Total Nord").
_SUBTOTAL_ENDINGS = (" Total", " total", " TOTAL", " Ergebnis", " Totaal")
_SUBTOTAL_STARTS = ("Total ", "TOTAL ")
_SUBTOTAL_LABEL_COLUMNS = 3  # group labels sit in the first text columns; not every column of a wide table


def _drop_subtotal_rows(frame: pd.DataFrame, decimal_comma: bool) -> tuple[pd.DataFrame, str | None]:
    """``frame`` without Excel's subtotal rows ("North Total" after the North rows), and a note counting them.

    Each row labelled "<group> Total" in one of the first text columns goes when the rows since the previous
    such row all have that group in that column and one of its numbers is their column's sum; if any such
    row fails, none goes.
    """
    text_columns = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]
    for label_column in text_columns[:_SUBTOTAL_LABEL_COLUMNS]:
        labels = frame[label_column]
        marked = (labels.str.endswith(_SUBTOTAL_ENDINGS) | labels.str.startswith(_SUBTOTAL_STARTS)).fillna(False)
        marked = marked.to_numpy(dtype=bool)
        # "Grand Total" and the other whole-table labels are the trailing summary's (_drop_summary_rows)
        positions = np.array([p for p in np.flatnonzero(marked) if _summary_word(str(labels.iloc[p])) is None],
                             dtype=np.int64)
        if not len(positions) or len(positions) * 2 > len(frame):
            continue
        numbers = [values for values in (_as_numbers(frame[name], decimal_comma) for name in frame.columns
                                         if name != label_column) if values is not None]
        if not numbers or not all(_is_group_sum(labels, numbers, start, position)
                                  for start, position in zip([0, *(positions[:-1] + 1)], positions)):
            continue
        body = frame.drop(index=frame.index[positions])
        _numbers_again(body)  # a label or a blank may have made a number column text
        count = len(positions)
        return body, (f"{wording.count(count, 'subtotal row')} ('{str(labels.iloc[positions[0]]).strip()}', …: "
                      f"the sums of the rows above {'it' if count == 1 else 'them'}) "
                      f"{'was' if count == 1 else 'were'} dropped")
    return frame, None


def _as_numbers(column: pd.Series, decimal_comma: bool) -> np.ndarray | None:
    """``column`` as floats, read the way it is written (``$7,532.46``), or None when it is not numbers."""
    if ptypes.is_numeric_dtype(column) and not ptypes.is_bool_dtype(column):
        return column.to_numpy(dtype=float)
    if not _could_be_numbers(_leading_text(column)):
        return None
    read = _text_to_numbers(column, decimal_comma, plain=True)
    return None if read is None else read[0].to_numpy(dtype=float)


def _is_group_sum(labels: pd.Series, numbers: list[np.ndarray], start: int, position: int) -> bool:
    """Whether rows ``start``..``position - 1`` are one group, labelled as row ``position`` names it, and one of
    row ``position``'s numbers is their sum."""
    label = str(labels.iloc[position]).strip()
    group = (label[len(_SUBTOTAL_STARTS[0]):] if label.upper().startswith(_SUBTOTAL_STARTS[1])
             else label.rsplit(" ", 1)[0]).strip()
    block = labels.iloc[start:position]
    if len(block) < 1 or not block.astype(str).str.strip().eq(group).all():
        return False
    return any(not np.isnan(values[position]) and np.isclose(values[position], np.nansum(values[start:position]),
                                                            rtol=_SUMMARY_TOLERANCE, atol=0.0)
               for values in numbers)


def _drop_summary_rows(frame: pd.DataFrame, decimal_comma: bool) -> tuple[pd.DataFrame, str | None]:
    """``frame`` without the totals or averages rows a spreadsheet writes under its data, and a note naming them.

    The last rows (at most three) are dropped when each holds a cell that is only a word for "total" or
    "average" and at least one number that is that column's sum (or mean) over the rows above them, read
    the way the column is written (``$7,532.46``). A label alone is not enough: a category called "Total"
    stays an example.
    """
    labelled: list[tuple[str, str]] = []  # (the label as written, the aggregate it names), bottom row first
    while len(labelled) < min(_MAX_SUMMARY_ROWS, len(frame) - 2):
        found = _summary_label(frame.iloc[-1 - len(labelled)])
        if found is None:
            break
        labelled.append(found)
    if not labelled:
        return frame, None
    body_rows = len(frame) - len(labelled)
    for offset, (_, aggregate) in enumerate(labelled):
        if not any(_is_aggregate_of(frame[name], body_rows, len(frame) - 1 - offset, aggregate, decimal_comma)
                   for name in frame.columns):
            return frame, None
    body = frame.iloc[:body_rows].copy()
    # The labels (and totals written as the only text) had made number columns text: read them again.
    _numbers_again(body, [name for name, dtype in body.dtypes.items()
                          if not ptypes.is_numeric_dtype(dtype) and frame[name].iloc[body_rows:].notna().any()])
    written = ", ".join(repr(label) for label, _ in reversed(labelled))
    rows = "the last row" if len(labelled) == 1 else f"the last {len(labelled)} rows"
    named = " and ".join(word for aggregate, word in (("sum", "totals"), ("mean", "averages"))
                         if any(kind == aggregate for _, kind in labelled))
    return body, (f"{rows} ({written}) {'was' if len(labelled) == 1 else 'were'} dropped: "
                  f"the {named} of the rows above, not {'an example' if len(labelled) == 1 else 'examples'}")


def _header_under_group_titles(frame: pd.DataFrame, written_names: dict[str, str]) -> tuple[pd.DataFrame, str | None]:
    """``frame`` named by its first row when the header line holds group titles over blank cells, and a note.

    A report exported with a two-line header ("Demographics,,,Lab,," over "age,sex,bmi,glucose,hba1c,diabetic")
    gave columns named column_2 … and a first "example" of names that made every number column text. The first
    row is the header when the written header leaves some names blank, that row fills every column with
    distinct text that is not a number, and some column under it is numbers.
    """
    if len(frame) < 3 or all(str(written_names.get(name, "")).strip() for name in frame.columns):
        return frame, None
    first = frame.iloc[0]
    if first.isna().any() or not all(isinstance(value, str) for value in first):
        return frame, None
    texts = [value.strip() for value in first]
    if (len(set(texts)) < len(texts) or not all(texts)
            or any(_number_like(text) for text in texts)):
        return frame, None
    body = frame.iloc[1:].copy()
    body.columns = clean_column_names(texts)
    if not _numbers_again(body):  # the names had made number columns text
        return frame, None  # a table of text throughout: nothing says its first row is not an example
    groups = [str(written_names[name]).strip() for name in frame.columns if str(written_names.get(name, "")).strip()]
    shown = ", ".join(repr(group) for group in groups[:4]) + (", …" if len(groups) > 4 else "")
    return body, f"the header is the second line; the line above it ({shown}) reads as group titles"


# Instrument and lab exports often write each column's unit on the line under the header ("kg", "cm",
# "mmol/L"); read as data, that one row made every measured column text.
_MIN_UNIT_COLUMNS = 2


def _drop_units_row(frame: pd.DataFrame, decimal_comma: bool) -> tuple[pd.DataFrame, str | None]:
    """``frame`` without a first row of units under the header, and a note quoting them.

    The first row goes when it holds no number at all, its text makes at least two columns text whose every
    other value is a number, and none of its cells repeats a value of its column below (a real first example's
    city or category would).
    """
    if len(frame) < 3:
        return frame, None
    first = frame.iloc[0]
    written = first.dropna()
    if written.empty or not all(isinstance(v, str) for v in written):
        return frame, None  # pandas read a number in it: an example
    texts = {name: str(value).strip() for name, value in written.items()}
    if any(_number_like(text) for text in texts.values()):
        return frame, None
    made_text: list[str] = []
    for name, text in texts.items():
        below = frame[name].iloc[1:]
        if below.dropna().astype(str).str.strip().eq(text).any():
            return frame, None  # the value recurs below: a category, this row an example
        if _as_numbers(below, decimal_comma) is not None:
            made_text.append(name)
    if len(made_text) < _MIN_UNIT_COLUMNS:
        return frame, None
    body = frame.iloc[1:].copy()
    _numbers_again(body, made_text)
    shown = ", ".join(f"{name}: {texts[name]!r}" for name in list(texts)[:6]) + (", …" if len(texts) > 6 else "")
    return body, f"the first row under the header ({shown}) reads as units, not an example: it was skipped"


def _summary_label(row: pd.Series) -> tuple[str, str] | None:
    """The cell of ``row`` that is only a word for a total or an average, and which aggregate it names."""
    for value in row.dropna():
        if isinstance(value, str) and (aggregate := _summary_word(value)) is not None:
            return value.strip(), aggregate
    return None


def _summary_word(value: str) -> str | None:
    """The aggregate ("sum" or "mean") ``value`` is only a word for (a trailing colon allowed), else None."""
    label = value.strip().rstrip(":").strip()
    return next((aggregate for aggregate, pattern in _SUMMARY_LABELS.items() if pattern.fullmatch(label)), None)


def _is_aggregate_of(column: pd.Series, body_rows: int, position: int, aggregate: str, decimal_comma: bool) -> bool:
    """Whether row ``position`` of ``column`` is the sum or mean of its first ``body_rows`` values (two or more)."""
    if pd.isna(column.iloc[position]):
        return False
    numbers = _as_numbers(pd.concat([column.iloc[:body_rows], column.iloc[position:position + 1]]), decimal_comma)
    if numbers is None:
        return False
    above, written = numbers[:-1][~np.isnan(numbers[:-1])], float(numbers[-1])
    if len(above) < 2 or not np.isfinite(above).all():
        return False
    expected = float(above.sum() if aggregate == "sum" else above.mean())
    return bool(np.isclose(written, expected, rtol=_SUMMARY_TOLERANCE, atol=0.0))


#: Wider tables are copied into consolidated blocks after parsing (see read_csv_bytes).
_CONSOLIDATE_ABOVE_COLUMNS = 100


def _numbers_again(body: pd.DataFrame, columns: list[str] | None = None) -> int:
    """In place: ``columns`` of ``body`` (default: every column not numbers) read as numbers where every value
    now is one, after the rows that made them text were dropped; how many became numbers."""
    names = [name for name, dtype in body.dtypes.items() if not ptypes.is_numeric_dtype(dtype)] if columns is None \
        else columns
    converted = 0
    for name in names:
        body[name] = _numbers_if_all(body[name])
        converted += ptypes.is_numeric_dtype(body[name].dtype)
    return converted


def _numbers_if_all(column: pd.Series) -> pd.Series:
    if ptypes.is_numeric_dtype(column) or ptypes.is_bool_dtype(column):
        return column
    converted = pd.to_numeric(column, errors="coerce")
    return converted if converted.notna().sum() == column.notna().sum() else column


def _clean_numbers(frame: pd.DataFrame, decimal_comma: bool) -> list[str]:
    """In place: infinite and float32-overflowing numbers become missing; numbers written as text become numbers.

    Text columns whose every value is a number with thousands separators
    (``100,000.5``, ``1 234 567,5``), or, in files not separated by commas, a
    decimal comma (``1.234,5``), or with one currency or percent sign, or
    negative in parentheses (``(1,200)``), are converted; so are columns of
    numbers with placeholders for missing values (``?``, ``-``, Excel's
    ``#DIV/0!``), the placeholders read as missing.
    """
    notes: list[str] = []
    # Names from the dtypes, not frame[name] for every column: on 10,000 columns that took seconds.
    for name, dtype in list(frame.dtypes.items()):
        if ptypes.is_numeric_dtype(dtype) or ptypes.is_bool_dtype(dtype):
            continue
        column = frame[name]
        leading = _leading_text(column)
        if not _could_be_numbers(leading):
            read_as = _numbers_with_magnitude(column, leading, decimal_comma)
            read_as = read_as or _numbers_with_flags(column, leading, decimal_comma)
            if read_as is not None:
                frame[name], how = read_as
                notes.append(f"column '{name}': {how}")
                continue
            with_unit = _numbers_with_unit(column, leading, decimal_comma)
            if with_unit is not None:
                frame[name], unit = with_unit
                notes.append(f"column '{name}': values written with the unit '{unit}' were read as numbers, "
                             "without it")
            elif (clock := _clock_times_to_numbers(column, leading)) is not None:
                frame[name], how = clock
                notes.append(f"column '{name}': {how}")
            continue
        read = _text_to_numbers(column, decimal_comma)
        placeholders = None
        if read is None and (placeholders := _missing_placeholders(column)) is not None:
            read = _text_to_numbers(column.mask(placeholders), decimal_comma, plain=True)
        if read is None:
            continue
        frame[name], how = read
        if how:
            notes.append(f"column '{name}': {how}")
        if placeholders is not None:
            written = column[placeholders].astype(str).str.strip().value_counts().index[:3]
            notes.append(f"column '{name}': {wording.count(int(placeholders.sum()), 'value')} written "
                         f"{' or '.join(repr(w) for w in written)} read as missing (the other values are numbers)")
    numeric = [n for n, dtype in frame.dtypes.items() if ptypes.is_float_dtype(dtype)]
    if numeric:
        values = frame[numeric].to_numpy(dtype=float, copy=False)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) & ~np.isnan(values) | (np.abs(values) >= limits.MAX_ABS_NUMBER)
        if bad.any():
            per_column = bad.sum(axis=0)
            for position, name in enumerate(numeric):
                if per_column[position]:
                    frame[name] = frame[name].mask(bad[:, position])
            shown = ", ".join(f"'{numeric[i]}'" for i in np.flatnonzero(per_column)[:5])
            notes.append(
                f"{int(bad.sum()):,} infinite or too large number(s) (|x| ≥ {limits.MAX_ABS_NUMBER:g}) "
                f"read as missing, in {shown}"
            )
    return notes


# A number followed by a unit word, as scraped listings and spec sheets write them ("85 m²", "1,200 sq ft",
# "18.2 kmpl", "3 rooms"): the unit starts with a letter (or ° or µ), holds no digit, and is short. The
# number ends in a digit, so a numbered label ("2. Middle Atlantic", as R's coded factors are written) is
# not one.
_WITH_UNIT = re.compile(r"([+-]?[0-9](?:[0-9.,\s]*[0-9])?)\s*((?:[^\W\d_]|[°µ])[^\d,;()]{0,19})")


def _numbers_with_unit(column: pd.Series, leading: list[str], decimal_comma: bool) -> tuple[pd.Series, str] | None:
    """``column`` as floats and its unit, if every value is a number followed by one unit (else None).

    "1 room" and "3 rooms" are one unit; "2 GB" beside "1 TB" are two, and the column stays text, as do
    addresses ("12 Main St", "4 Oak Ave"). The first values are checked in Python before the whole column
    (``leading``, :func:`_leading_text`) is matched in Arrow, so a text column costs one regular-expression
    match.
    """
    if not leading or not _WITH_UNIT.fullmatch(leading[0]):
        return None
    matches = [_WITH_UNIT.fullmatch(value) for value in leading]
    if not all(matches):
        return None
    units = {m.group(2).strip().casefold() for m in matches if m}
    shortest = min(units, key=len)
    # "rooms" first and "1 room" later are one unit; "ms" is not "m" in the plural (nor "s" after "m").
    stem = shortest[:-1] if shortest.endswith("s") and len(shortest) > 2 else shortest
    if not all(u == stem or (u == stem + "s" and len(stem) > 1) for u in units):
        return None
    unit = matches[0].group(2).strip() if matches[0] else stem  # as the first value writes it
    text = column.dropna().astype(str).str.strip()
    suffix = f"{_SPACE}*(?:{re.escape(stem)}{'s?' if len(stem) > 1 else ''})$"
    if not text.str.contains(suffix, case=False, regex=True).all():
        return None
    bare = text.str.replace(f"(?i){suffix}", "", regex=True)
    read = _text_to_numbers(bare, decimal_comma, plain=True)
    if read is None:
        return None
    return read[0].reindex(column.index).astype(float), unit


#: Magnitude suffixes as scraped listings and football or app-store data write amounts ("€110.5M", "€565K",
#: "1.2M" followers, "19M" bytes): thousands, millions, billions. A lower-case "m" is left out: metres.
_MAGNITUDES = {"k": 1e3, "K": 1e3, "M": 1e6, "bn": 1e9, "B": 1e9}
_MAGNITUDE_SUFFIX = re.compile(f"{_SPACE}?(?:{'|'.join(_MAGNITUDES)})$")


def _numbers_with_magnitude(column: pd.Series, leading: list[str], decimal_comma: bool) -> tuple[pd.Series, str] | None:
    """``column`` as floats and how, if every value is a number, some of them with a magnitude (else None).

    "€110.5M" beside "€565K" and "€0" is 110,500,000, 565,000 and 0. Two units that are not magnitudes ("2 GB"
    beside "1 TB") stay text, as before; so does a value with two suffixes or with no digit before its suffix.
    """
    if not leading or not any(_MAGNITUDE_SUFFIX.search(value) for value in leading):
        return None
    if not all(_number_like(_MAGNITUDE_SUFFIX.sub("", value)) for value in leading):
        return None
    text = column.dropna().astype(str).str.strip()
    bare = text.str.replace(_MAGNITUDE_SUFFIX.pattern, "", regex=True)
    if not bare.str.contains("[0-9]$", regex=True).all():  # "M" alone, "$M", "5MM": no number before one suffix
        return None
    read = _text_to_numbers(bare, decimal_comma, plain=True)
    if read is None:
        return None
    numbers, how = read
    factor = np.ones(len(text))
    for suffix, scale in _MAGNITUDES.items():
        factor[text.str.endswith(suffix).to_numpy(dtype=bool)] = scale
    scaled = numbers.reindex(text.index) * factor
    example = next((value for value in text.iloc[:1_000] if _MAGNITUDE_SUFFIX.search(value)), "")
    said = (f"values written with K, M or B (thousands, millions, billions: '{example}') were read as the numbers "
            "they stand for")
    return scaled.reindex(column.index).astype(float), f"{how}; {said}" if how else said


#: Eurostat's tables: a number, or ":" (not available), then its flags (p provisional, e estimated, b break in
#: series, c confidential, ...): "405241.0 p", ": c".
_FLAGGED = re.compile(rf"(?:(?P<number>[^:\s]*[0-9])|(?P<missing>:)){_SPACE}*(?P<flags>[bcdefnprsuz]{{1,3}})?")
#: Flags that are no unit: a column of "3 d" and "5 d" is days (the unit rule reads it), "12.5 p" is Eurostat's.
_FLAGS_NOT_UNITS = "bcefnpruz"


def _numbers_with_flags(column: pd.Series, leading: list[str], decimal_comma: bool) -> tuple[pd.Series, str] | None:
    """``column`` as floats and how, if it is written as Eurostat writes values (else None): every value a number
    or ":", some followed by flags; ":" is missing, the flags are left out."""
    if not leading or not _FLAGGED.fullmatch(leading[0]):  # most text columns stop at their first value
        return None
    matches = [_FLAGGED.fullmatch(value) for value in leading]
    if not all(matches) or not any(m and (m["missing"] or m["flags"]) for m in matches):
        return None
    text = column.dropna().astype(str).str.strip()
    if not text.str.fullmatch(_FLAGGED.pattern).all():
        return None
    parts = text.str.extract(_FLAGGED.pattern)
    missing = parts["missing"].notna() | parts["number"].isna()
    flags = parts["flags"].dropna()
    if not (missing.any() or flags.str.contains(f"[{_FLAGS_NOT_UNITS}]", regex=True).any()):
        return None
    read = _text_to_numbers(parts["number"][~missing], decimal_comma, plain=True)
    if read is None or missing.all():
        return None
    numbers = read[0].reindex(text.index)
    said = "values written as Eurostat writes them were read as numbers, without their flags ('p', 'e', 'b', ...)"
    said += f", and ':' as missing ({wording.count(int(missing.sum()), 'value')})" if missing.any() else ""
    return numbers.reindex(column.index).astype(float), f"{read[1]}; {said}" if read[1] else said


# Durations and times of day ("1:02:33", "14:45", "0:05:32.5"). pandas reads them as a time on the day of
# reading: a feature that moved by a day at midnight, and missing from 24:00 on (a 25-hour duration).
_CLOCK = re.compile(r"[0-9]{1,3}:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?")


def _clock_times_to_numbers(column: pd.Series, leading: list[str]) -> tuple[pd.Series, str] | None:
    """``column`` as a number and how it was read, if every value is written h:mm:ss, h:mm or m:ss (else None).

    h:mm:ss becomes seconds; where every value has two parts, the number is 60 × the first part + the second
    (minutes for h:mm, seconds for m:ss: the file does not say which); beside h:mm:ss values, m:ss.
    """
    if not leading or not all(_CLOCK.fullmatch(value) for value in leading):
        return None
    text = column.dropna().astype(str).str.strip()
    if not text.str.fullmatch(_CLOCK.pattern).all():
        return None
    parts = text.str.split(":", expand=True).astype(float)
    if parts.shape[1] == 2:
        numbers = 60 * parts[0] + parts[1]
        how = ("times written h:mm or m:ss (as '{0}') were read as 60 × the first part + the second: minutes for "
               "h:mm, seconds for m:ss")
    else:
        seconds = parts[2].isna()
        hours = parts[0].where(~seconds, 0.0)
        minutes = parts[1].where(~seconds, parts[0])
        numbers = 3600 * hours + 60 * minutes + parts[2].where(~seconds, parts[1])
        how = "times written h:mm:ss (as '{0}') were read as seconds"
    example = next((value for value in leading if value.count(":") == parts.shape[1] - 1), leading[0])
    return numbers.reindex(column.index).astype(float), how.format(example)


def _thousands_to_numbers(column: pd.Series) -> pd.Series | None:
    """``column`` as floats if every value is a number and some have thousands separators, else None."""
    text = _all_match(column, _THOUSANDS)
    if text is None:
        return None
    return pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").reindex(column.index).astype(float)


def _decimal_comma_to_numbers(column: pd.Series) -> pd.Series | None:
    """``column`` as floats if every value is a number and some have a decimal comma, else None."""
    text = _all_match(column, _DECIMAL_COMMA)
    if text is None:
        return None
    plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(plain, errors="coerce").reindex(column.index).astype(float)


#: Cells that stand for a missing number in general usage: the UCI repository's "?", a dash, SAS and Stata's ".",
#: written-out words, and Excel's error values (a formula that could not be computed). pandas already reads "NA",
#: "N/A", "null", "NaN", "None" and empty cells as missing.
MISSING_PLACEHOLDERS = frozenset({
    "?", "-", "--", ".", "n.a.", "missing", "unknown", "not available",
    "#div/0!", "#value!", "#ref!", "#num!", "#name?",
    "–", "—", "−",  # typeset tables mark "none" with an en dash, an em dash or a minus sign
    "..", "...", "…",  # "not available" in the World Bank's, OECD's and national statistics offices' tables
})


def _leading_text(column: pd.Series) -> list[str]:
    """Up to 20 of the first 200 values that are not missing, stripped, from the array, not pandas indexing."""
    head = column.to_numpy()[:200]
    return [str(value).strip() for value in head[pd.notna(head)][:20]]


def _number_like(text: str) -> bool:
    """A stripped value written as a number (:data:`_NUMBER_AS_WRITTEN`) or a missing-value placeholder."""
    return bool(_NUMBER_AS_WRITTEN.fullmatch(text)) or text.lower() in MISSING_PLACEHOLDERS


def _could_be_numbers(leading: list[str]) -> bool:
    """False when one of a column's first values (:func:`_leading_text`) is neither number-like nor a placeholder.

    Every way :func:`_clean_numbers` reads text as numbers needs every value to be one of those, so a text
    column is passed over on its first value instead of after pandas string passes over its head: on 3,000
    text columns those passes took seconds.
    """
    return all(_number_like(text) for text in leading)


def _missing_placeholders(column: pd.Series) -> pd.Series | None:
    """Where ``column`` holds a missing-value placeholder, if every other value is a number (else None)."""
    values = column.dropna()
    if values.empty:
        return None
    # Most text columns fail on their first values, cheaply: before the whole column is lowered.
    head = values.iloc[:1_000].astype(str).str.strip()
    others = head[~head.str.lower().isin(MISSING_PLACEHOLDERS)]
    if not others.str.fullmatch(_NUMBER_AS_WRITTEN).all():
        return None
    marked = values.astype(str).str.strip().str.lower().isin(MISSING_PLACEHOLDERS)
    if not marked.any() or marked.all():
        return None
    return marked.reindex(column.index, fill_value=False)


def _text_to_numbers(column: pd.Series, decimal_comma: bool, plain: bool = False) -> tuple[pd.Series, str] | None:
    """``column`` as floats and how they were written, if every value is a number (else None).

    ``plain``: numbers pandas would have read by itself count too (with no
    words on how they were written), for a column that was text only because
    of its placeholders.
    """
    written = _written_numbers(column)
    if written is None:
        return None
    bare, unit, in_parentheses, minus_after, typographic_minus, at_least = written
    read = _bare_to_numbers(bare, decimal_comma)
    if read is None:
        return None
    numbers, how = read
    if unit:
        kind = "percentages written with '%'" if unit == "%" else f"amounts written with '{unit}'"
        how = f"{kind} were read as numbers, without the '{unit}'"
    said = [how] if how else []
    said += [phrase for written_so, phrase in (
        (in_parentheses, "values in parentheses (accounting negatives) were read as negative numbers"),
        (minus_after, "values with the minus after the number (as SAP writes '1.234,56-') were read as negative numbers"),
        (typographic_minus, "values with the minus sign '−' (U+2212) were read as negative numbers"),
        (at_least, "values written with a '+' after the number (at least that many, as '10,000+') were read as that "
                   "number"),
    ) if written_so]
    how = "; ".join(said)
    if not how and not plain:
        return None  # numbers pandas would have read itself: this column is text for another reason
    return numbers.reindex(column.index).astype(float), how


def _written_numbers(column: pd.Series) -> Written | None:
    """The non-missing values reduced to a sign, digits and separators; their one unit; whether any was in
    parentheses; whether any had its minus after the number ("1.234,56-", as SAP exports negatives); whether any
    was written with the typographic minus sign (U+2212: typeset tables, and spreadsheets in some locales).

    None when a value is not a number as spreadsheets write one, or the column mixes two units (amounts in two
    currencies are not one quantity), or a value carries two signs or two units. Only whole-column string
    operations (pandas runs them in Arrow): pulling the parts out with str.extract went through Python value by
    value, 0.8 s on 200,000 amounts.
    """
    values = column.dropna()
    if values.empty:
        return None
    text = values.astype(str).str.strip()
    # Most text columns fail on their first values, cheaply: before the whole column is matched.
    for part in (text.iloc[:1_000], text):
        if not part.str.fullmatch(_NUMBER_AS_WRITTEN).all():
            return None
    typographic_minus = bool(text.str.contains(_TYPOGRAPHIC_MINUS, regex=False).any())
    if typographic_minus:
        text = text.str.replace(_TYPOGRAPHIC_MINUS, "-", regex=False)
    # "10,000+" (at least that many: app installs, years of experience) is read as the number
    if (trailing := _sign_after(text, "+")) is None:
        return None
    at_least, text = trailing
    if (trailing := _sign_after(text, "-")) is None:
        return None
    minus_after, text = trailing
    if minus_after.any():
        text = text.where(~minus_after, "-" + text)
    if not text.str.contains(_UNIT_OR_PARENTHESIS, regex=True).any():
        # digits and separators only (most columns): the rest is for _bare_to_numbers
        return Written(text, None, False, bool(minus_after.any()), typographic_minus, bool(at_least.any()))
    units = [unit for unit in _UNIT_SYMBOLS if text.str.contains(unit, regex=False).any()]
    if len(units) > 1:
        return None
    unit = units[0] if units else None
    # "(1,200)", "($1,200)" and "$(1,200)" are negative; the pattern lets a parenthesis open in either place.
    opened, closed = text.str.contains("(", regex=False), text.str.endswith(")")
    signs = text.str.count("[+-]")
    if ((opened != closed) | (text.str.count(r"\(") > 1) | (signs > 1) | (opened & (signs > 0))).any():
        return None
    if unit and (text.str.count(re.escape(unit)) > 1).any():
        return None
    bare = text.str.replace(_UNIT_OR_PARENTHESIS, "", regex=True).str.strip()
    bare = bare.str.replace(f"^([+-]){_SPACE}*", r"\1", regex=True)  # "- $ 5" -> "-5"
    in_parentheses = bool(opened.any())
    if in_parentheses:
        bare = bare.where(~opened, "-" + bare)
    return Written(bare, unit, in_parentheses, bool(minus_after.any()), typographic_minus, bool(at_least.any()))


def _sign_after(text: pd.Series, sign: str) -> tuple[pd.Series, pd.Series] | None:
    """Where a value ends in ``sign`` ("1.234,56-", "10,000+") and the text without it; None when such a value
    has a second sign or sits in parentheses: not one number."""
    marked = text.str.endswith(sign)
    if not marked.any():
        return marked, text
    if (marked & ((text.str.count("[+-]") > 1) | text.str.contains(")", regex=False))).any():
        return None
    return marked, text.where(~marked, text.str[:-1].str.rstrip())


def _bare_to_numbers(bare: pd.Series, decimal_comma: bool) -> tuple[pd.Series, str] | None:
    """Signed numbers as text to floats, read as the file writes them; how they were written ("" if plainly)."""
    if bare.str.contains(_SPACE, regex=True).any():
        # Thousands grouped by spaces leave the dot or comma free to be the decimal mark, but only one of them.
        if not bare.str.fullmatch(_SPACE_GROUPED).all() or (
                bare.str.contains(".", regex=False).any() and bare.str.contains(",", regex=False).any()):
            return None
        plain = bare.str.replace(_SPACE, "", regex=True).str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(plain, errors="coerce")
        return numbers, "numbers written with spaces between the thousands were read as numbers"
    if bare.str.contains(_APOSTROPHE, regex=True).any():
        if not bare.str.fullmatch(_APOSTROPHE_GROUPED).all():
            return None  # feet and inches (5'11), or groups not of three
        numbers = pd.to_numeric(bare.str.replace(_APOSTROPHE, "", regex=True), errors="coerce")
        return numbers, "numbers written with apostrophes between the thousands (1'234.50) were read as numbers"
    if bare.str.contains(",", regex=False).any():  # never part of a number pandas reads: a mark to interpret
        converted = _decimal_comma_to_numbers(bare) if decimal_comma else None
        if converted is not None:
            return converted, "numbers written with decimal commas were read as numbers"
        converted = _thousands_to_numbers(bare)
        if converted is not None:
            return converted, "numbers written with thousands separators were read as numbers"
        # In a file separated by commas a quoted "12,50" is not grouped in thousands: its comma is a decimal
        # comma, as spreadsheets set to German or French write numbers when they export with commas between
        # the fields (Google Sheets does). "1,234" alone was read as thousands above.
        converted = None if decimal_comma else _decimal_comma_to_numbers(bare)
        if converted is not None:
            return converted, "numbers written with decimal commas were read as numbers"
        return None
    numbers = pd.to_numeric(bare, errors="coerce")
    return (numbers, "") if numbers.notna().all() else None


def _all_match(column: pd.Series, pattern: re.Pattern[str]) -> pd.Series | None:
    """The non-missing values as stripped text if all match ``pattern`` and some hold a comma, else None."""
    values = column.dropna()
    if values.empty:
        return None
    # Most text columns fail on their first values, cheaply: before the whole column is stripped.
    head = values.iloc[:1_000].astype(str).str.strip()
    if not head.str.contains(",", regex=False).any() or not head.str.fullmatch(pattern).all():
        return None
    text = values.astype(str).str.strip()
    return text if text.str.fullmatch(pattern).all() else None
