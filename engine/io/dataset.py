"""What ``compare`` trains on: a table with its name, content hash and loading notes.

Every kind of input becomes a :class:`Dataset` — a CSV directly, other
formats (an image archive, say) through a loader registered with
:func:`register_loader` — so the pipeline takes one type whatever the kind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from engine.io.data import DEFAULT_MAX_BYTES, DataError, too_big, load_notes, read_csv_bytes, read_file_bytes
from engine.io.columnar import read_json_table, read_parquet
from engine.io.spreadsheet import read_workbook
from engine.io.statistical import read_statistical_file
from engine.io.zipped import read_zipped_table

__all__ = ["Dataset", "Loader", "register_loader", "load_dataset_bytes", "load_dataset_path"]


@dataclass(frozen=True)
class Dataset:
    """A parsed table, where it came from, and what loading changed or skipped."""

    frame: pd.DataFrame = field(repr=False)
    name: str = "data"
    sha256: str = ""
    notes: tuple[str, ...] = ()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str = "data") -> "Dataset":
        """A dataset made in code; its hash is of the table's content."""
        digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update("\x1f".join(map(str, frame.columns)).encode())
        return cls(frame=frame, name=name, sha256=digest.hexdigest())

    @property
    def shape_text(self) -> str:
        return f"{len(self.frame):,} rows × {self.frame.shape[1]} columns"


#: (name, raw bytes, max bytes) -> Dataset, or None when the bytes are not this loader's format.
Loader = Callable[[str, bytes, int], "Dataset | None"]
_LOADERS: list[Loader] = []


def register_loader(loader: Loader) -> Loader:
    """Add a loader for a non-CSV format; loaders are tried in order, CSV last."""
    if loader not in _LOADERS:
        _LOADERS.append(loader)
    return loader


def load_dataset_bytes(name: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Dataset:
    """Parse uploaded bytes with the first loader that recognises them, else as CSV (raises DataError)."""
    import importlib

    importlib.import_module("engine.kinds")  # the kinds register their loaders (found by name: they sit above this module)

    if len(raw) > max_bytes:
        raise DataError(too_big(len(raw), max_bytes))
    digest = hashlib.sha256(raw).hexdigest()
    zipped = read_zipped_table(raw, max_bytes)  # a CSV zipped alone is a table, before any kind's ZIP loader
    if zipped is not None:
        frame, note = zipped
        return Dataset(frame=frame, name=name, sha256=digest, notes=(note, *load_notes(frame)))
    workbook = read_workbook(raw, max_bytes)  # an .xlsx is a ZIP too: before the kinds' ZIP loaders
    if workbook is None:
        workbook = read_parquet(raw, max_bytes)
    if workbook is None:
        workbook = read_statistical_file(raw, max_bytes)
    if workbook is None:
        workbook = read_json_table(raw, max_bytes)
    if workbook is not None:
        frame, notes = workbook
        return Dataset(frame=frame, name=name, sha256=digest, notes=notes)
    for loader in _LOADERS:
        dataset = loader(name, raw, max_bytes)
        if dataset is not None:
            return Dataset(frame=dataset.frame, name=name, sha256=digest, notes=dataset.notes)
    frame = read_csv_bytes(raw, max_bytes=max_bytes)
    return Dataset(frame=frame, name=name, sha256=digest, notes=tuple(load_notes(frame)))


def load_dataset_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Dataset:
    """Read a file from disk (see :func:`load_dataset_bytes`)."""
    return load_dataset_bytes(Path(path).name, read_file_bytes(path, max_bytes), max_bytes)
