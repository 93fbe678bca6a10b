"""engine.io.data: robust CSV reading and one-line errors."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

from engine.io.data import DataError, clean_column_names, load_notes, read_csv_bytes, read_csv_path


def test_reads_comma_csv():
    frame = read_csv_bytes(b"a,b,c\n1,2,x\n3,4,y\n")
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame["a"].tolist() == [1, 3]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_detects_delimiter(delimiter):
    raw = delimiter.join(["height", "weight", "label"]) + "\n"
    raw += "\n".join(delimiter.join([str(i), str(i * 2), "a" if i % 2 else "b"]) for i in range(10))
    frame = read_csv_bytes(raw.encode())
    assert list(frame.columns) == ["height", "weight", "label"]
    assert frame["weight"].iloc[3] == 6


def test_semicolon_with_decimal_commas_keeps_columns():
    frame = read_csv_bytes("x;y\n1,5;a\n2,5;b\n".encode())
    assert list(frame.columns) == ["x", "y"]
    assert len(frame) == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_encodings(encoding):
    text = "café,naïve\nrésumé,1\nsœur,2\n" if encoding != "latin-1" else "café,naïve\nrésumé,1\nÿes,2\n"
    frame = read_csv_bytes(text.encode(encoding))
    assert list(frame.columns) == ["café", "naïve"]
    assert frame["café"].iloc[0] == "résumé"


def test_duplicate_and_empty_column_names_made_unique():
    frame = read_csv_bytes(b"a,a,,a\n1,2,3,4\n")
    assert list(frame.columns) == ["a", "a.1", "column_3", "a.2"]


def test_control_characters_stripped_from_names():
    assert clean_column_names(["x\x1fy", " spaced  out ", "tab\tname"]) == ["xy", "spaced out", "tabname"]


def test_infinity_becomes_missing():
    frame = read_csv_bytes(b"a,b\n1,inf\n2,-inf\n3,4\n")
    assert frame["b"].isna().sum() == 2
    assert np.isfinite(frame["b"].dropna()).all()


def test_blank_rows_dropped():
    frame = read_csv_bytes(b"a,b\n1,2\n\n,\n3,4\n")
    assert len(frame) == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"a,b,c\n", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"only\n1\n2\n", "fewer than 2 columns"),
        (b'a,b\n1,"unclosed\n2,3\n', "could not be parsed"),
    ],
)
def test_unusable_input_raises_one_line(raw, message):
    with pytest.raises(DataError) as error:
        read_csv_bytes(raw)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_size_limit():
    with pytest.raises(DataError, match="limit"):
        read_csv_bytes(b"a,b\n" + b"1,2\n" * 100, max_bytes=50)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_csv_path(tmp_path / "absent.csv")


def test_every_sample_reads(sample_paths):
    """Every bundled sample (tables, text, pixel tables, image folders) loads and has a usable guessed target."""
    from engine import load_dataset_path, profile_dataset
    from engine.io import samples

    assert set(sample_paths) <= set(samples.sample_paths()) and len(samples.sample_paths()) >= 8
    for path in samples.sample_paths():
        frame = load_dataset_path(path).frame
        assert frame.shape[0] >= 100 and frame.shape[1] >= 2, path.name
        assert profile_dataset(frame).rows == len(frame), path.name  # the guessed target is usable


# --- hostile encodings, delimiters, rows and numbers (issue 11) ---------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_wide_unicode_encodings(encoding):
    text = "café\tnaïve\nrésumé\t1\nsœur\t2\n"  # Excel's "Unicode text": UTF-16 with BOM, tab-separated
    frame = read_csv_bytes(text.encode(encoding))
    assert list(frame.columns) == ["café", "naïve"]
    assert frame["naïve"].tolist() == [1, 2]


def test_invalid_utf16_after_a_bom_is_a_data_error():
    with pytest.raises(DataError, match="UTF-16"):
        read_csv_bytes(codecs.BOM_UTF16_LE + b"a\x00,\x00b\x00\n\x00\x00\xd8")


def test_header_with_quoted_commas_does_not_mislead_the_delimiter():
    frame = read_csv_bytes('"Height, cm";"Weight, kg";"Label, text"\n1,5;2,5;a\n2,5;3,5;b\n'.encode())
    assert list(frame.columns) == ["Height, cm", "Weight, kg", "Label, text"]
    assert frame["Height, cm"].tolist() == [1.5, 2.5]  # decimal commas in a semicolon file
    assert "decimal commas" in load_notes(frame)[0]


def test_title_line_and_excel_sep_hint():
    frame = read_csv_bytes(b"Sales export, 2024\na;b;c\n1;2;3\n4;5;6\n")
    assert list(frame.columns) == ["a", "b", "c"] and len(frame) == 2
    assert load_notes(frame) == ["skipped 1 line(s) above the header"]
    assert list(read_csv_bytes(b"sep=|\na|b\n1|2\n").columns) == ["a", "b"]


def test_long_first_row_is_skipped_not_turned_into_an_index():
    frame = read_csv_bytes(b"a,b,c\n1,2,3,4\n" + b"5,6,7\n" * 10)
    assert frame.to_numpy().tolist() == [[5, 6, 7]] * 10
    assert load_notes(frame) == ["1 row(s) with more fields than the header's 3 were skipped"]


def test_short_first_row_does_not_drop_the_full_rows_after_it():
    frame = read_csv_bytes(b"a,b,c\n1,2\n" + b"5,6,7\n" * 10)
    assert len(frame) == 11 and frame["c"].isna().sum() == 1
    assert load_notes(frame) == []


def test_mostly_ragged_rows_are_refused():
    with pytest.raises(DataError, match="more fields than the 2 columns"):
        read_csv_bytes(b"a,b\n" + b"1,2,3\n" * 10 + b"1,2\n")


def test_huge_numbers_become_missing_with_a_note():
    frame = read_csv_bytes(b"a,b\n1,1e309\n2,-1e300\n3,4\n4,5\n")
    assert frame["b"].tolist()[2:] == [4, 5] and frame["b"].isna().sum() == 2
    assert "2 infinite or too large" in load_notes(frame)[0]


def test_thousands_separators_make_numbers():
    frame = read_csv_bytes(b'a,price\nx,"100,000"\ny,"2,500.5"\nz,7\n')
    assert frame["price"].tolist() == [100_000.0, 2_500.5, 7.0]
    assert "thousands separators" in load_notes(frame)[0]
    mixed = read_csv_bytes(b'a,b\nx,"1,000"\ny,"n/a, sorry"\n')
    assert mixed["b"].tolist() == ["1,000", "n/a, sorry"]  # not every value is a number: left as text


def test_column_limit(monkeypatch):
    from engine.common import limits

    monkeypatch.setattr(limits, "MAX_COLUMNS", 5)
    with pytest.raises(DataError, match="6 columns; the limit is 5"):
        read_csv_bytes(b"a,b,c,d,e,f\n1,2,3,4,5,6\n")
