"""engine.io.spreadsheet: a workbook uploaded instead of a CSV is read as its first sheet with data."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import numpy as np
import openpyxl
import pytest
import xlwt

from engine.io.data import DataError
from engine.io.dataset import load_dataset_bytes
from engine.io.spreadsheet import read_workbook


def _workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sales(rows: int = 60) -> list[list[object]]:
    rng = np.random.default_rng(0)
    table: list[list[object]] = [["Quarterly sales"], [], ["region", "units", "price", "sold_on", "call", "bought"]]
    for i in range(rows):
        table.append([("North", "South")[i % 2], int(rng.integers(1, 50)), round(float(rng.random()) * 100, 2),
                      dt.datetime(2024, 1, 1) + dt.timedelta(days=i), dt.timedelta(minutes=i % 50, seconds=7),
                      "yes" if i % 3 else "no"])
    return table


def test_the_first_sheet_with_data_is_read_through_the_csv_readers_repairs():
    raw = _workbook(("Read me", [["This workbook holds the sales"]]), ("Sales", _sales()), ("Pivot", [["a", "b"], [1, 2]]))
    dataset = load_dataset_bytes("sales.xlsx", raw)
    frame = dataset.frame
    assert list(frame.columns) == ["region", "units", "price", "sold_on", "call", "bought"] and len(frame) == 60
    assert str(frame["units"].dtype) == "int64"  # spreadsheet numbers are floats: 42.0 is read back as 42
    assert frame["sold_on"].iloc[1] == "2024-01-02" and frame["call"].iloc[1] == 67.0  # 0:01:07 in seconds
    assert dataset.notes == (
        "read sheet 'Sales' of the workbook (its first with data; 'Pivot' not read: save one as its own file to use it)",
        "skipped 1 line(s) above the header",
        "column 'call': times written h:mm:ss (as '0:00:07') were read as seconds",
    )


def test_an_opendocument_spreadsheet_is_read_too():
    cells = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="{"float" if isinstance(v, int) else "string"}"'
            + (f' office:value="{v}">' if isinstance(v, int) else ">") + f"<text:p>{v}</text:p></table:table-cell>"
            for v in row) + "</table:table-row>"
        for row in [["size", "label"], *([[i, "big" if i > 5 else "small"] for i in range(12)])])
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="Data">{cells}</table:table></office:spreadsheet>'
               "</office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    frame, notes = read_workbook(buffer.getvalue(), 10**6)
    assert frame["size"].tolist() == list(range(12)) and frame["label"].iloc[-1] == "big"
    assert notes == ("read sheet 'Data' of the workbook",)


def test_what_is_not_a_workbook_is_left_to_the_other_readers_and_a_bad_one_is_one_line():
    assert read_workbook(b"a,b\n1,2\n", 10**6) is None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cats/1.png", b"not really a png")
    assert read_workbook(buffer.getvalue(), 10**6) is None  # an image-folder ZIP is the images kind's
    with pytest.raises(DataError, match="every sheet of the workbook is empty"):
        read_workbook(_workbook(("Empty", []), ("Title only", [["Sales"]])), 10**6)
    damaged = _workbook(("Sales", _sales()))
    with zipfile.ZipFile(io.BytesIO(damaged)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data[: len(data) // 2] if name.startswith("xl/worksheets/") else data)
    with pytest.raises(DataError, match=r"^the workbook could not be read \(.+\); save it again, or as CSV$"):
        read_workbook(broken.getvalue(), 10**6)


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_read():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 3_000_000)  # compresses to a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(DataError, match="the workbook unpacks to 3 MB; save the sheet as CSV"):
        read_workbook(bomb.getvalue(), 100_000)


def _xls(rows: list[list[object]], title: str = "Sales") -> bytes:
    """An Excel 97-2003 workbook (a BIFF8 stream in an OLE2 compound file), as an old export writes it."""
    book = xlwt.Workbook()
    sheet = book.add_sheet(title)
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, dt.timedelta):  # xlwt writes no durations: a fraction of a day, as Excel stores it
                sheet.write(i, j, value / dt.timedelta(days=1), xlwt.easyxf(num_format_str="[h]:mm:ss"))
            elif isinstance(value, dt.datetime):
                sheet.write(i, j, value, dates)
            else:
                sheet.write(i, j, value)
    book.add_sheet("Notes")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_excel_97_workbook_is_read_like_a_new_one():
    dataset = load_dataset_bytes("sales.xls", _xls(_sales()))
    assert dataset.frame.equals(load_dataset_bytes("sales.xlsx", _workbook(("Sales", _sales()))).frame)
    assert str(dataset.frame["units"].dtype) == "int64" and dataset.frame["sold_on"].iloc[1] == "2024-01-02"
    assert dataset.notes[:2] == ("read sheet 'Sales' of the workbook", "skipped 1 line(s) above the header")


def test_a_password_protected_workbook_is_named_so_and_other_office_files_are_binary_data():
    """A protected .xlsx (or .xls) is an encrypted package in a compound file; a .doc is a compound file too."""
    plain = _xls([["size", "label"], [1, "small"], [9, "big"]])
    stream_name = "Workbook\x00".encode("utf-16-le")
    assert plain.count(stream_name) == 1

    def renamed(name: str) -> bytes:  # the directory entry: the name in 64 bytes, then its length in 2
        field = (name + "\x00").encode("utf-16-le")
        old = stream_name.ljust(64, b"\x00") + len(stream_name).to_bytes(2, "little")
        return plain.replace(old, field.ljust(64, b"\x00") + len(field).to_bytes(2, "little"))

    with pytest.raises(DataError, match=r"^the workbook is protected by a password; remove the password"):
        load_dataset_bytes("budget.xlsx", renamed("EncryptedPackage"))
    with pytest.raises(DataError, match=r"^the file is not a text CSV \(it contains binary data\)"):
        load_dataset_bytes("letter.doc", renamed("WordDocument"))
