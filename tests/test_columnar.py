"""engine.io.columnar: a Parquet file uploaded instead of a CSV is read as the table it holds."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.io.data import DataError
from engine.io.dataset import load_dataset_bytes
from engine.io.columnar import read_parquet
from engine.profile.profile import profile_dataset


def _parquet(table: pd.DataFrame | pa.Table, **options: object) -> bytes:
    buffer = io.BytesIO()
    if isinstance(table, pd.DataFrame):
        table.to_parquet(buffer, **options)
    else:
        pq.write_table(table, buffer, **options)
    return buffer.getvalue()


def _customers(rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, rows),
        "income": rng.normal(50_000, 10_000, rows).round(2),
        "city": pd.Categorical(rng.choice(["Paris", "Lyon", "<b>Nice</b>"], rows)),  # dictionary-encoded
        "signup": pd.date_range("2020-01-01", periods=rows, freq="D"),
        "last_seen": pd.date_range("2021-03-01 10:30", periods=rows, freq="7h", tz="Europe/Paris"),
        "vip": rng.random(rows) < 0.3,
        "tags": [["new", "web"]] * rows,  # a list per row: no cell can hold it
        "churn": rng.choice(["yes", "no"], rows),
    })
    frame.loc[3, "income"] = np.nan
    frame.loc[4, "signup"] = pd.NaT
    return frame


def test_a_parquet_file_is_read_with_its_types_as_the_csv_reader_reads_them():
    original = _customers()
    dataset = load_dataset_bytes("customers.parquet", _parquet(original))
    frame = dataset.frame
    assert list(frame.columns) == ["age", "income", "city", "signup", "last_seen", "vip", "churn"]
    assert frame["age"].tolist() == original["age"].tolist() and str(frame["age"].dtype) == "int64"
    assert frame["income"].iloc[:3].tolist() == original["income"].iloc[:3].tolist() and pd.isna(frame["income"].iloc[3])
    assert frame["city"].tolist() == original["city"].astype(str).tolist() and frame["vip"].dtype == bool
    # dates as a spreadsheet writes them (not "2020-01-01 00:00:00.000000"), times in the column's own zone
    assert frame["signup"].iloc[:3].tolist() == ["2020-01-01", "2020-01-02", "2020-01-03"] and pd.isna(frame["signup"].iloc[4])
    assert frame["last_seen"].iloc[:2].tolist() == ["2021-03-01 10:30:00", "2021-03-01 17:30:00"]
    assert dataset.notes == ("read the Parquet file: 300 rows × 7 columns",
                             "1 column(s) of lists, structs, maps or bytes left out: 'tags'")
    kinds = profile_dataset(frame, "churn").column_kinds
    assert kinds["signup"] == kinds["last_seen"] == "datetime" and kinds["city"] == "categorical"


def test_a_parquet_file_that_unpacks_to_too_much_text_is_refused_before_it_is_written_out():
    # One long value repeated: a few kilobytes as a file, 200 MB as text.
    notes = pa.DictionaryArray.from_arrays(np.zeros(200_000, dtype=np.int32), pa.array(["x" * 1_000]))
    raw = _parquet(pa.table({"note": notes, "y": np.zeros(200_000)}), compression="zstd")
    assert len(raw) < 100_000
    start = time.perf_counter()
    with pytest.raises(DataError, match=r"^the Parquet file as text is .+ MB; the limit is 50 MB"):
        read_parquet(raw, 50 * 2**20)
    assert time.perf_counter() - start < 5  # refused after a batch or two, not after writing 98 MB
    with pytest.raises(DataError, match=r"^the Parquet file unpacks to \d+ MB; sample it"):
        read_parquet(_parquet(pa.table({"x": np.random.default_rng(0).random(200_000)})), 50_000)


def test_what_is_not_a_parquet_file_is_left_to_the_others_and_a_bad_one_is_one_line():
    assert read_parquet(b"a,b\n1,2\nPAR1", 10**6) is None
    raw = _parquet(_customers())
    with pytest.raises(DataError, match=r"^the Parquet file could not be read \(\w+\); write it again, or as CSV$"):
        load_dataset_bytes("damaged.parquet", raw[:100] + raw[400:])
    with pytest.raises(DataError, match="holds no column a table can use"):
        load_dataset_bytes("lists.parquet", _parquet(pd.DataFrame({"tags": [["a"], ["b"]]})))
    with pytest.raises(DataError, match="has columns but no rows"):
        load_dataset_bytes("empty.parquet", _parquet(_customers().iloc[:0]))


def _events(rows: int = 60) -> bytes:
    return b"".join(
        b'{"id": %d, "user": {"age": %d, "country": "%s"}, "tags": ["web"], "spent": %s, "churned": "%s", '
        b'"seen": "2024-01-%02dT10:30:00"}\n'
        % (i, 20 + i % 50, (b"FR", b"DE")[i % 2], b"null" if i % 7 == 0 else b"12.5", (b"yes", b"no")[i % 3 == 0],
           1 + i % 28)
        for i in range(rows))


def test_json_lines_are_read_with_objects_as_columns_and_lists_left_out():
    from engine.io.columnar import read_json_table

    dataset = load_dataset_bytes("events.jsonl", _events())
    frame = dataset.frame
    assert list(frame.columns) == ["id", "user.age", "user.country", "spent", "churned", "seen"]
    assert frame["user.country"].iloc[:2].tolist() == ["FR", "DE"] and pd.isna(frame["spent"].iloc[0])
    assert frame["seen"].iloc[0] == "2024-01-01 10:30:00"
    assert dataset.notes == ("read the JSON file: 60 records × 6 fields",
                             "1 field(s) of lists, maps or nothing but nulls left out: 'tags'")
    # an array of the same records (as APIs answer) reads the same table
    import json

    records = [json.loads(line) for line in _events().splitlines()]
    assert load_dataset_bytes("events.json", json.dumps(records).encode()).frame.equals(frame)
    with pytest.raises(DataError, match=r"^a JSON array of \d+ MB is too large to read; write it as JSON Lines"):
        read_json_table(json.dumps(records * 2_000).encode(), 4 * 2**20)


def test_json_that_is_not_a_table_of_records_is_one_line():
    with pytest.raises(DataError, match=r"^the JSON file could not be read as a table \(.+\)$"):
        load_dataset_bytes("cut.jsonl", _events()[:-20])
    with pytest.raises(DataError, match="is not a list of records"):
        load_dataset_bytes("mixed.json", b'[{"a": 1}, 3]')
    with pytest.raises(DataError, match="holds no records with a field a table can use"):
        load_dataset_bytes("lists.jsonl", b'{"a": [1, 2]}\n{"a": [3]}\n')
