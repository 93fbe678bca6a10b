"""A spreadsheet workbook (.xlsx, .xlsm, .xls, .ods), read as the table on its first sheet that holds one.

Analysts keep their data in workbooks; exporting to CSV first was a step the upload asked of them. The sheet's
cells are written out as CSV text and read by the same reader as any upload (:mod:`engine.io.data`), so a title
above the header, a row of units, a totals row and numbers stored as text are repaired the same way and say so
in the same notes. Read by calamine (python-calamine: Rust, no DTDs or entity expansion), which gives each
formula the value the spreadsheet last saved: 100,000 rows x 21 columns in 1.2 s, where openpyxl took 18 s. In
memory, never extracted; a zipped workbook's unpacked size is held to a multiple of the upload limit whatever
it declares.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pandas as pd

from engine.common import limits
from engine.io.data import DataError, load_notes, read_csv_bytes, too_big

__all__ = ["read_workbook", "WORKBOOK_SUFFIXES"]

#: File endings the upload accepts as spreadsheets.
WORKBOOK_SUFFIXES = ("xlsx", "xlsm", "xls", "ods")
_ZIPPED_WORKBOOK_PARTS = ("xl/workbook.xml", "content.xml")  # Office Open XML; OpenDocument (with its mimetype)
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
#: An OLE2 compound file: Excel 97-2003's .xls, and also what Office writes for a password-protected .xlsx.
_COMPOUND_FILE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
#: Stream names (UTF-16 in the compound file's directory): BIFF8 and BIFF5 workbooks; an encrypted Office Open XML file.
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_PASSWORD = "the workbook is protected by a password; remove the password (File > Info > Protect Workbook) or save it as CSV"


def read_workbook(raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, tuple[str, ...]] | None:
    """The table of the workbook's first sheet with data, and notes; None when ``raw`` is not a workbook.

    Raises :class:`DataError` for a workbook that cannot be read (encrypted, damaged), one that unpacks to
    too much, or one whose sheets are all empty.
    """
    if not (_is_zipped_workbook(raw, max_bytes) or _is_binary_workbook(raw)):
        return None
    from python_calamine import CalamineWorkbook, SheetTypeEnum  # imported here: only a workbook upload pays

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheets = [(meta.name, workbook.get_sheet_by_name(meta.name).to_python())
                  for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
    except Exception as error:  # calamine's own errors (password, XML, ZIP) and anything a damaged file raises
        if "password" in str(error).lower():
            raise DataError(_PASSWORD) from None
        raise DataError(f"the workbook could not be read ({type(error).__name__}); save it again, or as CSV") from None
    for position, (title, cells) in enumerate(sheets):
        if not _holds_table(cells):
            continue
        text = _as_csv(_table_rows(cells))
        if len(text) > max_bytes:
            raise DataError(too_big(len(text), max_bytes, f"sheet '{title}' as text"))
        frame = read_csv_bytes(text.encode("utf-8"), max_bytes=max_bytes)
        others = [name for name, rest in sheets[position + 1:] if _holds_table(rest)]
        note = f"read sheet '{title}' of the workbook"
        if others:
            shown = ", ".join(f"'{name}'" for name in others[:3]) + (", …" if len(others) > 3 else "")
            note += f" (its first with data; {shown} not read: save one as its own file to use it)"
        return frame, (note, *load_notes(frame))
    raise DataError("every sheet of the workbook is empty (or holds one row); a table needs a header and rows")


def _is_zipped_workbook(raw: bytes, max_bytes: int) -> bool:
    """Whether ``raw`` is an .xlsx/.xlsm/.ods archive (raises :class:`DataError` if it unpacks to too much)."""
    if not raw.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            spreadsheet = _ZIPPED_WORKBOOK_PARTS[0] in names or (
                _ZIPPED_WORKBOOK_PARTS[1] in names and "mimetype" in names
                and archive.read("mimetype").startswith(_ODS_MIMETYPE))
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError):
        return False  # not a readable ZIP: the other readers say what it is
    if spreadsheet and unpacked > limits.MAX_UNPACKED_FACTOR * max_bytes:
        raise DataError(f"the workbook unpacks to {unpacked / 2**20:,.0f} MB; save the sheet as CSV and upload that")
    return spreadsheet


def _is_binary_workbook(raw: bytes) -> bool:
    """Whether ``raw`` is an Excel 97-2003 .xls (raises :class:`DataError` for a password-protected Office file).

    Other compound files (a .doc, a .msg) are left to the CSV reader, which calls them binary data.
    """
    if not raw.startswith(_COMPOUND_FILE_MAGIC):
        return False
    if _ENCRYPTED_PACKAGE in raw:  # a protected .xlsx is an encrypted ZIP inside a compound file: nothing to read
        raise DataError(_PASSWORD)
    return any(stream in raw for stream in _XLS_STREAMS)


def _holds_table(cells: list[list[object]]) -> bool:
    """Whether a sheet has two rows with a value (a header and a row), found without writing its cells as text."""
    filled = (row for row in cells if any(value is not None and value != "" for value in row))
    return next(filled, None) is not None and next(filled, None) is not None


def _table_rows(cells: list[list[object]]) -> list[list[str]]:
    """The sheet's cells as text, without the empty rows and columns around the table (formatted but empty)."""
    rows = [[_cell_text(value) for value in row] for row in cells]
    rows = [row for row in rows if any(row)]
    width = max((max((i + 1 for i, cell in enumerate(row) if cell), default=0) for row in rows), default=0)
    return [row[:width] + [""] * (width - len(row)) for row in rows]


def _cell_text(value: object) -> str:
    """A cell's value as the CSV reader reads it back: dates in ISO, times h:mm:ss, numbers in full."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # a duration formatted [h]:mm:ss
        seconds = value.total_seconds()
        whole = int(seconds)
        text = f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
        return text + f"{seconds - whole:.3f}"[1:].rstrip("0").rstrip(".") if seconds != whole else text
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):  # every spreadsheet number is a float: 42.0 is written 42, as it is shown
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def _as_csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
