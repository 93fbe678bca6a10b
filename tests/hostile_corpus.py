"""The hostile-input corpus: every kind of bad file a hosted upload box meets, with its expected outcome.

:data:`CASES` is the one table of the corpus: for each file, what it is and
what the advisor must do with it, for ``recommend`` and for ``compare`` (the
same unless said): ``works``, works with a ``note`` (the note's text given), or
a one-line ``error`` (the message's text given). :func:`write_corpus` writes
the files into a folder (seeded, so they are the same on every run; the
million-row file takes ~2 s). ``python -m tests.hostile_corpus`` prints the
table as Markdown.

``tests/test_hostile_inputs.py`` runs every file through the command line
(exit 0, or exit 2 with one ``error:`` line; never exit 1, never a traceback)
and through the pages (one ``st.error`` line, or the advice).
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from engine.common import limits

__all__ = ["Case", "CASES", "write_corpus", "plain_table_csv", "markdown_table"]

ROWS = 120


@dataclass(frozen=True)
class Case:
    name: str  # file name in the corpus folder
    what: str  # what is hostile about it
    outcome: str  # "works" | "note" | "error"
    expect: str = ""  # text the note or the error message contains
    make: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)
    target: str | None = None  # --target, when the guess is not the point
    compare: tuple[str, str] | None = None  # (outcome, expect) of compare when it differs from recommend
    on_page: bool = True  # also uploaded through the Recommend page (AppTest)

    @property
    def compare_outcome(self) -> tuple[str, str]:
        return self.compare or (self.outcome, self.expect)


def _table(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """A small learnable table: two numbers, one category and a yes/no label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"height": rng.normal(170, 10, rows).round(1), "weight": rng.normal(70, 12, rows).round(1)})
    frame["colour"] = rng.choice(["red", "green", "blue"], rows)
    frame["label"] = np.where(frame["height"] - 170 + (frame["weight"] - 70) / 2 + rng.normal(0, 3, rows) > 0, "yes", "no")
    return frame


def _csv(frame: pd.DataFrame, **options: object) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n", **options).encode(str(options.get("encoding", "utf-8")))


def plain_table_csv() -> bytes:
    """The ordinary table most hostile files are made from, as a plain comma-separated UTF-8 file."""
    return _csv(_table())


def _with(**columns: object) -> Callable[[], bytes]:
    def make() -> bytes:
        frame = _table()
        for name, values in columns.items():
            frame[name] = values(frame) if callable(values) else values
        return _csv(frame)

    return make


def _replace_cells(frame: pd.DataFrame, column: str, values: list[str]) -> bytes:
    text = frame.astype({column: object})
    for row, value in enumerate(values):
        text.loc[row * 7, column] = value
    return _csv(text)


def _utf16() -> bytes:
    # Excel's "Unicode text" export: UTF-16 LE with a byte-order mark, tab-separated.
    frame = _table()
    frame["colour"] = frame["colour"].map({"red": "rouge", "green": "vert", "blue": "bleu é"})
    return codecs.BOM_UTF16_LE + frame.to_csv(index=False, sep="\t", lineterminator="\r\n").encode("utf-16-le")


def _cp1252() -> bytes:
    frame = _table()
    frame["colour"] = frame["colour"].map({"red": "café", "green": "œuvre €", "blue": "naïve"})
    frame = frame.rename(columns={"weight": "poids (€)"})
    return frame.to_csv(index=False, lineterminator="\r\n").encode("cp1252")


def _cp1251() -> bytes:
    frame = _table()
    frame["colour"] = frame["colour"].map({"red": "красный", "green": "зелёный", "blue": "синий"})
    frame = frame.rename(columns={"height": "рост", "weight": "вес", "label": "ответ"})
    frame["ответ"] = frame["ответ"].map({"yes": "да", "no": "нет"})
    return frame.to_csv(index=False, lineterminator="\r\n").encode("cp1251")


def _forty_classes() -> bytes:
    rng = np.random.default_rng(4)
    codes = np.repeat(np.arange(40), 3)
    return _csv(pd.DataFrame({"signal": codes + rng.normal(0, 0.1, 120), "noise": rng.normal(size=120),
                              "label": [f"class_{c:02d}" for c in codes]}))


def _misleading_header() -> bytes:
    # Semicolons separate, commas are decimals and sit inside the quoted header: csv.Sniffer picks ",".
    frame = _table()
    lines = ['"Height, cm";"Weight, kg";"Colour, name";"Label, yes/no"']
    for h, w, c, y in frame.itertuples(index=False):
        lines.append(f"{str(h).replace('.', ',')};{str(w).replace('.', ',')};{c};{y}")
    return ("\n".join(lines) + "\n").encode()


def _ragged(first: bool) -> Callable[[], bytes]:
    def make() -> bytes:
        lines = _csv(_table()).decode().splitlines()
        targets = [1] if first else [5, 40, 77]
        for row in targets:
            lines[row] += ",extra,fields"
        return ("\n".join(lines) + "\n").encode()

    return make


def _mostly_ragged() -> bytes:
    lines = _csv(_table()).decode().splitlines()
    return ("\n".join([lines[0]] + [line + ",x" for line in lines[1:]]) + "\n").encode()


def _duplicate_and_empty_names() -> bytes:
    frame = _table()
    frame.insert(2, "twice", frame["height"] * 2)
    frame.columns = ["height", "height", "", "", "label"]
    return _csv(frame)


def _totals_row() -> bytes:
    frame = _table()
    return _csv(frame) + f"{frame['height'].sum():.1f},{frame['weight'].sum():.1f},Total,\n".encode()


def _group_titles() -> bytes:
    return b"Body,,Answer,\n" + plain_table_csv()


def _joined_files() -> bytes:
    header, rest = plain_table_csv().split(b"\n", 1)
    lines = rest.splitlines(keepends=True)
    return header + b"\n" + b"".join(lines[:60]) + header + b"\n" + b"".join(lines[60:])


def _units_row() -> bytes:
    header, rest = plain_table_csv().split(b"\n", 1)
    return header + b"\ncm,kg,,\n" + rest


def _trailing_delimiters() -> bytes:
    return b"".join(line + b",,\n" for line in plain_table_csv().splitlines())


def _formulas() -> bytes:
    frame = _table().rename(columns={"height": '=HYPERLINK("http://evil.example","click")', "weight": "+cmd|' /C calc'!A0"})
    frame["@SUM(A1:A9)"] = np.where(np.arange(ROWS) % 2, "=1+1", "-2+3")
    frame["colour"] = frame["colour"].map({"red": "@red", "green": "+green", "blue": "=blue"})
    return _csv(frame)


def _markup() -> bytes:
    frame = _table().rename(columns={"height": "<script>alert(1)</script>", "weight": '<img src=x onerror="alert(2)">'})
    frame["colour"] = frame["colour"].map({"red": "<b>red</b>", "green": "**green**", "blue": "[blue](javascript:alert(3))"})
    frame["label"] = frame["label"].map({"yes": "<i>yes</i>", "no": "$no$"})
    return _csv(frame)


def _infinities() -> bytes:
    return _replace_cells(_table(), "height", ["inf", "-inf", "1e309", "-1e309", "1e300", "Infinity"])


def _one_per_class() -> bytes:
    frame = _table(40)
    frame["label"] = [f"class_{i}" for i in range(40)]
    frame["label"] = frame["label"].where(np.arange(40) >= 30, "common")  # 30 rows in one class, then 10 singletons
    return _csv(frame)


def _hundred_classes() -> bytes:
    frame = _table(200)
    frame["label"] = [f"class_{i // 2:03d}" for i in range(200)]
    return _csv(frame)


def _wide(columns: int) -> bytes:
    """30 rows of small integers in ``columns - 1`` columns and a yes/no label that follows the first."""
    rng = np.random.default_rng(0)
    data = rng.integers(0, 9, size=(30, columns - 1))
    label = np.where(data[:, 0] > 4, "yes", "no")
    header = ",".join(f"c{i}" for i in range(columns - 1)) + ",label"
    lines = (",".join(map(str, row)) + f",{answer}" for row, answer in zip(data, label))
    return (header + "\n" + "\n".join(lines) + "\n").encode()


def _million_rows() -> bytes:
    rng = np.random.default_rng(0)
    rows = 1_000_001
    a = rng.integers(0, 1000, rows)
    b = rng.integers(0, 1000, rows)
    label = np.where(a + b + rng.integers(0, 300, rows) > 1150, "yes", "no")
    frame = pd.DataFrame({"a": a, "b": b, "label": label})
    return frame.to_csv(index=False, lineterminator="\n").encode()


def _thousands_target() -> bytes:
    frame = _table()
    price = (frame["height"] * 1_000 + frame["weight"] * 300).round(0).astype(int)
    frame["price"] = [f"{v:,}" for v in price]
    return _csv(frame.drop(columns="label"))


def _quoted_newlines() -> bytes:
    frame = _table()
    frame["comment"] = np.where(np.arange(ROWS) % 3, "fine", "line one\nline two, with a comma")
    return _csv(frame[["height", "weight", "comment", "colour", "label"]])


CASES: list[Case] = [
    Case("empty.csv", "zero bytes", "error", "the file is empty", lambda: b""),
    Case("blank_lines.csv", "only spaces and newlines", "error", "the file is empty", lambda: b"  \n\r\n\t\n"),
    Case("header_only.csv", "a header and no rows", "error", "no data rows", lambda: b"height,weight,label\n"),
    Case("one_column.csv", "a single column", "error", "fewer than 2 columns", lambda: b"value\n1\n2\n3\n"),
    Case("binary.csv", "PNG bytes named .csv", "error", "binary data",
         lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
    Case("nul_bytes_late.csv", "a valid start, NUL bytes after 8 KB", "error", "binary data",
         lambda: _csv(_table(400)) + b"\x00" * 64),
    Case("utf16_excel_unicode_text.csv", "Excel 'Unicode text': UTF-16 LE + BOM, tab-separated", "works", "", _utf16),
    Case("utf16_broken.csv", "a UTF-16 BOM followed by invalid UTF-16", "error", "not valid UTF-16",
         lambda: codecs.BOM_UTF16_LE + "a,b\n".encode("utf-16-le") + b"\x00\xd8"),
    Case("utf8_bom.csv", "UTF-8 with a byte-order mark", "works", "", lambda: codecs.BOM_UTF8 + _csv(_table())),
    Case("cp1252.csv", "Windows-1252 accents and € in names and values", "note",
         "read as Windows-1252 (Western European) text", _cp1252),
    Case("cp1251_cyrillic.csv", "Windows-1251 Cyrillic names and values (read as cp1252 mojibake before)", "note",
         "read as Windows-1251 (Cyrillic) text", _cp1251),
    Case("semicolon.csv", "semicolon separator", "works", "", lambda: _csv(_table(), sep=";")),
    Case("tab.tsv", "tab separator", "works", "", lambda: _csv(_table(), sep="\t")),
    Case("pipe.csv", "pipe separator", "works", "", lambda: _csv(_table(), sep="|")),
    Case("misleading_first_row.csv", "quoted commas in a semicolon header, decimal commas", "note",
         "decimal commas were read as numbers", _misleading_header),
    Case("title_line.csv", "a title line above the header", "note", "skipped 1 line(s) above the header",
         lambda: b"Sales export, March\n" + _csv(_table(), sep=";")),
    Case("excel_sep_hint.csv", "Excel's 'sep=;' first line", "works", "", lambda: b"sep=;\n" + _csv(_table(), sep=";")),
    Case("totals_row.csv", "a spreadsheet's 'Total' row of column sums under the data", "note",
         "the last row ('Total') was dropped", _totals_row),
    Case("group_titles.csv", "a line of group titles over the header ('Body,,Answer,')", "note",
         "the header is the second line", _group_titles),
    Case("joined_files.csv", "two files joined: the header again in the middle", "note",
         "1 line inside the data repeating the header", _joined_files),
    Case("units_row.csv", "a row of units ('cm', 'kg') under the header", "note",
         "reads as units, not an example", _units_row),
    Case("trailing_delimiters.csv", "two empty unnamed columns: ',,' at the end of every line", "note",
         "2 empty columns without a name", _trailing_delimiters),
    Case("ragged_rows.csv", "three rows with two extra fields", "note", "3 row(s) with more fields", _ragged(False)),
    Case("ragged_first_row.csv", "the first data row has extra fields", "note", "1 row(s) with more fields", _ragged(True)),
    Case("mostly_ragged.csv", "every row has one field more than the header", "error",
         "have more fields than the 4 columns", _mostly_ragged),
    Case("unclosed_quote.csv", "a quote that never closes", "error", "could not be parsed",
         lambda: b'height,weight,label\n1,2,"yes\n' + b"3,4,no\n" * 30),
    Case("quoted_newlines.csv", "values with newlines and commas inside quotes", "works", "", _quoted_newlines),
    Case("classic_mac_newlines.csv", "CR-only line endings", "works", "",
         lambda: _csv(_table()).replace(b"\n", b"\r")),
    Case("duplicate_and_empty_names.csv", "two 'height' columns and two unnamed ones", "works", "",
         _duplicate_and_empty_names),
    Case("formula_cells.csv", "names and values starting with = + - @", "works", "", _formulas),
    Case("html_js.csv", "<script>, <img onerror>, Markdown links in names and values", "works", "", _markup),
    Case("inf_and_huge_numbers.csv", "inf, -inf, Infinity, 1e309, 1e300 in a numeric column", "note",
         "infinite or too large number(s)", _infinities),
    Case("all_missing_column.csv", "a feature column with no values", "works", "", _with(empty=np.nan),
         compare=("note", "not used as features: empty (constant)")),
    Case("constant_column.csv", "a feature column with one value", "works", "", _with(country="FR"),
         compare=("note", "not used as features: country (constant)")),
    # The four cases below name their target: a guess passes over an unusable column (tests/test_target_guess.py),
    # a user's own choice is checked.
    Case("constant_target.csv", "the target has one value in every row", "error", "has only one value",
         _with(label="yes"), target="label"),
    Case("one_class_target.csv", "one class and missing values", "error", "has only one value",
         _with(label=lambda f: np.where(np.arange(len(f)) % 3, "spam", None)), target="label"),
    Case("all_missing_target.csv", "the target column is empty", "error", "has no values (all missing)",
         _with(outcome=np.nan), target="outcome"),
    Case("identifier_target.csv", "the target is a unique code per row", "error", "looks like an identifier",
         _with(label=lambda f: [f"ID-{i:06d}" for i in range(len(f))]), target="label"),
    Case("datetime_target.csv", "the target is a date", "error", "holds dates",
         _with(label=lambda f: pd.date_range("2024-01-01", periods=len(f)).strftime("%Y-%m-%d")), target="label"),
    Case("free_text_target.csv", "the target is free text", "error", "holds free text",
         _with(label=lambda f: [f"customer wrote a long note number {i} about it" for i in range(len(f))]),
         target="label"),
    Case("one_row_per_class.csv", "ten classes with a single row each", "error", "has 1 row", _one_per_class,
         target="label"),
    Case("hundred_classes.csv", "100 classes of 2 rows each", "error", "100 classes; the limit is 50", _hundred_classes,
         target="label"),
    Case("forty_classes_three_rows.csv", "40 classes of 3 rows each (an internal error before)", "works", "",
         _forty_classes, target="label", compare=("note", "validation slice was drawn without stratifying")),
    Case("no_usable_feature.csv", "every feature is an identifier or a constant", "note",
         "column the models can use: row_id (identifier), note (constant)",
         lambda: _csv(pd.DataFrame({
             "row_id": np.arange(ROWS), "note": ["the same comment on every row"] * ROWS,
             "label": np.where(np.arange(ROWS) % 2, "a", "b")})),
         compare=("error", "no column the models can use")),
    Case("wide_3000_columns.csv", "3,001 columns (refused before: the limit was 2,000)", "works", "",
         lambda: _wide(3_001), target="label", compare=("note", "wide table: SHAP values are computed for all 3,000")),
    Case("too_wide.csv", f"{limits.MAX_COLUMNS + 1:,} columns", "error", f"the limit is {limits.MAX_COLUMNS:,}",
         lambda: _wide(limits.MAX_COLUMNS + 1)),
    Case("million_rows.csv", "1,000,001 rows", "works", "", _million_rows,
         compare=("note", "train and test on a sample of 100,000 rows, stratified by class"), on_page=False),
    Case("thousands_separator_target.csv", 'a target of numbers written "123,456"', "note",
         "numbers written with thousands separators were read as numbers", _thousands_target, target="price"),
    Case("over_upload_limit.csv", "one byte over the 200 MB limit", "error", "the limit is 200 MB", None, on_page=False),
]


def write_corpus(directory: Path) -> dict[str, Path]:
    """Write every file of :data:`CASES` into ``directory``; returns name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for case in CASES:
        path = directory / case.name
        if case.make is not None:
            path.write_bytes(case.make())
        else:  # sparse: one byte over the limit, refused by its size before a byte is read
            with open(path, "wb") as handle:
                handle.truncate(limits.MAX_UPLOAD_BYTES + 1)
        paths[case.name] = path
    return paths


def markdown_table() -> str:
    def cell(outcome: str, expect: str) -> str:
        return outcome if not expect else f"{outcome}: “{expect}”"

    lines = ["| file | what | recommend | compare |", "|---|---|---|---|"]
    for case in CASES:
        target = f" (`--target {case.target}`)" if case.target else ""
        lines.append(
            f"| `{case.name}`{target} | {case.what} | {cell(case.outcome, case.expect)} | "
            f"{cell(*case.compare_outcome)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
    if os.environ.get("HOSTILE_WRITE"):
        print(write_corpus(Path(os.environ["HOSTILE_WRITE"])))
