"""A Parquet or JSON file, read as the table it holds.

Data engineers hand tables over as Parquet, or as JSON from an API or a document store, not CSV. The file is
read by pyarrow (already the reader's string engine), its columns written out as CSV text and read by the same
reader as any upload (:mod:`engine.io.data`), so every column is typed, repaired and noted the same way
whatever the file's format: a timestamp column is a date column, a dictionary column a category, a decimal a
number, a JSON object's fields columns of their own ("user.age"). Columns no CSV can hold (lists, maps, raw
bytes) are left out with a note. A Parquet file's declared sizes are checked before anything is unpacked: a
column of one repeated value compresses a thousandfold.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import pandas as pd

from engine.common import limits
from engine.io.data import DataError, load_notes, read_csv_bytes, too_big

__all__ = ["read_parquet", "read_json_table", "read_arrow_table"]

_MAGIC = b"PAR1"  # at the start and at the end of every Parquet file
_BATCH_ROWS = 50_000


def read_parquet(raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, tuple[str, ...]] | None:
    """The table of a Parquet file, and notes; None when ``raw`` is not one.

    Raises :class:`DataError` for a file that cannot be read, one that unpacks to too much or holds too many
    rows, and one with no column a table can hold.
    """
    if len(raw) < 12 or not (raw.startswith(_MAGIC) and raw.endswith(_MAGIC)):
        return None
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_metadata(pa.BufferReader(raw))
        unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        if unpacked > limits.MAX_UNPACKED_FACTOR * max_bytes:
            raise DataError(f"the Parquet file unpacks to {unpacked / 2**20:,.0f} MB; sample it and upload that")
        if metadata.num_rows > limits.MAX_ROWS:
            raise DataError(f"the file has more than {limits.MAX_ROWS:,} rows, the limit; sample it before uploading")
        schema = metadata.schema.to_arrow_schema()
        unwritable = [field.name for field in schema if _not_a_cell(field.type)]
        kept = [field.name for field in schema if field.name not in unwritable]
        if not kept:
            raise DataError("the Parquet file holds no column a table can use (only lists, structs, maps or bytes)")
        # Text stays dictionary-encoded as it is read, so its size as CSV is counted before any of it is written
        # out: one value repeated a million times is a few bytes in the file and in memory, not in text.
        texts = [field.name for field in schema if field.name in kept and _is_text(field.type)]
        parquet = pq.ParquetFile(pa.BufferReader(raw), read_dictionary=texts)
        buffer = io.BytesIO()
        for number, batch in enumerate(parquet.iter_batches(batch_size=_BATCH_ROWS, columns=kept)):
            # The batch's text is counted before it is written (a repeated value unpacks to it), the rest after.
            _refuse_over(buffer.tell() + _text_bytes(batch), max_bytes)
            pa_csv.write_csv(_dates_as_written(batch), buffer, pa_csv.WriteOptions(include_header=number == 0))
            _refuse_over(buffer.tell(), max_bytes)
    except DataError:
        raise
    except Exception as error:  # pyarrow's own errors (a damaged footer, an unknown codec) and what a bad file raises
        raise DataError(f"the Parquet file could not be read ({type(error).__name__}); write it again, or as CSV") from None
    if metadata.num_rows == 0:
        raise DataError("the Parquet file has columns but no rows")
    return _read_as_csv(buffer.getvalue(), max_bytes, f"read the Parquet file: {metadata.num_rows:,} rows × "
                        f"{len(kept)} columns", unwritable, "column(s) of lists, structs, maps or bytes")


#: A JSON array is parsed whole in Python (pyarrow reads JSON Lines only): above this share of the upload limit
#: it is refused with a word on JSON Lines, which is read in Arrow at any size the limit allows.
_JSON_ARRAY_SHARE = 0.25


def read_json_table(raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, tuple[str, ...]] | None:
    """The table of a JSON file of records (JSON Lines, or an array of objects), and notes; None when ``raw``
    is neither.

    Raises :class:`DataError` for JSON that is not records, cannot be parsed, or holds no column a table can use.
    """
    start = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not (start.startswith(b"{") or (start.startswith(b"[") and start[1:].lstrip().startswith(b"{"))):
        return None
    import pyarrow as pa
    import pyarrow.json as pa_json

    try:
        if start.startswith(b"["):
            if len(raw) > _JSON_ARRAY_SHARE * max_bytes:
                raise DataError(f"a JSON array of {len(raw) / 2**20:.0f} MB is too large to read; write it as JSON "
                                "Lines (one object per line), which is read up to the upload limit")
            import json

            records = json.loads(raw)
            if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
                raise DataError("the JSON file is not a list of records (objects with the same fields)")
            # As JSON Lines, so that Arrow infers the types of both forms alike (a timestamp, not its text).
            raw = "\n".join(json.dumps(record) for record in records).encode()
        table = pa_json.read_json(io.BytesIO(raw))
    except DataError:
        raise
    except Exception as error:  # a parse error names the line; mixed types in one field, and the like
        detail = " ".join(str(error).split())[:120]
        raise DataError(f"the JSON file could not be read as a table ({detail})") from None
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()  # {"user": {"age": 31}} is a column "user.age"
    table = _iso_timestamps(table)
    unwritable = [field.name for field in table.schema if _not_a_cell(field.type) or pa.types.is_null(field.type)]
    table = table.drop_columns(unwritable)
    if table.num_columns == 0 or table.num_rows == 0:
        raise DataError("the JSON file holds no records with a field a table can use (numbers, text, dates)")
    return read_arrow_table(table, max_bytes, f"read the JSON file: {table.num_rows:,} records × {table.num_columns} "
                            "fields", unwritable, "field(s) of lists, maps or nothing but nulls")


def read_arrow_table(table: object, max_bytes: int, read: str, left_out: Sequence[str] = (), what: str = "",
                     as_text: str = "the file") -> tuple[pd.DataFrame, tuple[str, ...]]:
    """An Arrow table read as an upload: written out as CSV text (dates as a spreadsheet writes them), refused as
    ``as_text`` when that is over ``max_bytes``, then read by the CSV reader, with :func:`_read_as_csv`'s notes."""
    import pyarrow.csv as pa_csv

    buffer = io.BytesIO()
    pa_csv.write_csv(_dates_as_written(table), buffer)
    _refuse_over(buffer.tell(), max_bytes, as_text)
    return _read_as_csv(buffer.getvalue(), max_bytes, read, left_out, what)


def _read_as_csv(text: bytes, max_bytes: int, read: str, left_out: Sequence[str], what: str,
                 ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The CSV text written from a file, read by the upload's reader, and the notes: what was read, what was
    left out (``what``, named), and the reader's own."""
    frame = read_csv_bytes(text, max_bytes=max_bytes)
    notes = [read]
    if left_out:
        shown = ", ".join(f"'{name}'" for name in left_out[:5]) + (", …" if len(left_out) > 5 else "")
        notes.append(f"{len(left_out)} {what} left out: {shown}")
    return frame, (*notes, *load_notes(frame))


_ISO_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?")


def _iso_timestamps(table: object) -> object:
    """``table`` with its text columns of ISO timestamps as timestamps ("2015-04-17T00:00:00.000", as pandas and
    most APIs write them; Arrow's JSON reader leaves those with a fraction of a second as text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for position, field in enumerate(table.schema):  # type: ignore[attr-defined]
        if not pa.types.is_string(field.type):
            continue
        column = table.column(position)  # type: ignore[attr-defined]
        first = next((value for value in column.drop_null().slice(0, 1).to_pylist()), None)
        if first is None or not _ISO_TIMESTAMP.fullmatch(first):
            continue
        zoned = first.endswith("Z") or bool(re.search(r"[+-][0-9]{2}:?[0-9]{2}$", first))
        try:
            stamps = pc.cast(column, pa.timestamp("ms", "UTC" if zoned else None))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue  # not every value is one: the reader decides what the column is
        table = table.set_column(position, field.name, stamps)  # type: ignore[attr-defined]
    return table


def _dates_as_written(batch: object) -> object:
    """``batch`` with its timestamps as a spreadsheet writes them: "2020-01-31", or "2020-01-31 14:05:00".

    Arrow writes every timestamp with its fraction of a second ("2020-01-31 00:00:00.000000"), which the pages
    would show as the value of a date feature.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in batch.columns:  # type: ignore[attr-defined]
        if pa.types.is_timestamp(column.type):
            seconds = pc.cast(column, pa.timestamp("s", column.type.tz), safe=False)
            midnight = pc.all(pc.equal(pc.floor_temporal(seconds, unit="day"), seconds)).as_py()
            column = pc.strftime(seconds, format="%Y-%m-%d" if midnight in (True, None) else "%Y-%m-%d %H:%M:%S")
        columns.append(column)
    kind = pa.Table if isinstance(batch, pa.Table) else pa.RecordBatch
    return kind.from_arrays(columns, names=batch.schema.names)  # type: ignore[attr-defined]


def _is_text(kind: object) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
                or (pa.types.is_dictionary(kind) and _is_text(kind.value_type)))


def _refuse_over(size: int, max_bytes: int, what: str = "the Parquet file as text") -> None:
    if size > max_bytes:
        raise DataError(too_big(size, max_bytes, what))


def _text_bytes(batch: object) -> int:
    """How many bytes the text values of ``batch`` take as CSV text, counted without decoding a dictionary."""
    import pyarrow as pa
    import pyarrow.compute as pc

    total = 0
    for column in batch.columns:  # type: ignore[attr-defined]
        if pa.types.is_dictionary(column.type):
            lengths = pc.binary_length(column.dictionary)
            total += (pc.sum(pc.take(lengths, column.indices)).as_py() or 0) + len(column)
        elif _is_text(column.type):
            total += (pc.sum(pc.binary_length(column)).as_py() or 0) + len(column)
    return total


def _not_a_cell(kind: object) -> bool:
    """Whether a column of this Arrow type has no value a CSV cell (and so a feature) can hold."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _not_a_cell(kind.value_type)
    return bool(pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
                or pa.types.is_fixed_size_binary(kind) or pa.types.is_binary_view(kind))
