"""engine.data: robust CSV reading and one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import DataError, clean_column_names, read_csv_bytes, read_csv_path


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
    assert len(sample_paths) >= 3
    for path in sample_paths:
        frame = read_csv_path(path)
        assert frame.shape[0] >= 100 and frame.shape[1] >= 5, path.name
