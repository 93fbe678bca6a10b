"""A table zipped on its own (``data.csv`` inside ``data.zip``), read as that table.

People zip a CSV to send or upload it; an archive whose only files are
tables is read here, before the kinds' loaders (an image-folder ZIP is the
images kind's). Read in memory, never extracted, within the upload's byte
limit whatever the archive declares.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath
import pandas as pd

from engine.io.data import DataError, read_csv_bytes, too_big

__all__ = ["TABLE_SUFFIXES", "is_system_file", "read_zipped_table"]

#: Files read as a table when they are all an archive holds.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
_MAX_NAMES_SHOWN = 3


def read_zipped_table(raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, str] | None:
    """The table an archive holds alone, and a note saying which file it was; None for anything else.

    None when ``raw`` is not a ZIP, or when it holds any file that is not a
    table (ignoring folders and the operating system's ``__MACOSX`` and dot
    files), so an image-folder archive goes on to its own loader. Raises
    :class:`DataError` for several tables (which one is meant is the user's
    choice), an unreadable, encrypted or oversized entry.
    """
    if not raw.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir() and not is_system_file(info.filename)]
            if not files or any(PurePosixPath(info.filename).suffix.lower() not in TABLE_SUFFIXES for info in files):
                return None
            if len(files) > 1:
                names = ", ".join(PurePosixPath(info.filename).name for info in files[:_MAX_NAMES_SHOWN])
                more = f" and {len(files) - _MAX_NAMES_SHOWN:,} more" if len(files) > _MAX_NAMES_SHOWN else ""
                raise DataError(f"the ZIP archive holds {len(files):,} tables ({names}{more}); upload the one to "
                                "use, or a ZIP of that one alone")
            info = files[0]
            if info.file_size > max_bytes:
                raise DataError(too_big(info.file_size, max_bytes, "the file in the ZIP archive"))
            with archive.open(info) as stream:
                content = stream.read(max_bytes + 1)  # the declared size may lie
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as error:
        raise DataError(f"the ZIP archive could not be read ({error})") from None
    except RuntimeError as error:  # zipfile: "File ... is encrypted, password required for extraction"
        raise DataError(f"the file in the ZIP archive cannot be read ({error}); upload it unencrypted") from None
    if len(content) > max_bytes:
        raise DataError(too_big(len(content), max_bytes, "the file in the ZIP archive"))
    name = PurePosixPath(info.filename).name
    return read_csv_bytes(content, max_bytes=max_bytes), f"read {name}, the one file in the ZIP archive"


def is_system_file(filename: str) -> bool:
    """An archive entry the operating system added, not the user's file: under ``__MACOSX``, or a dot file."""
    parts = PurePosixPath(filename.replace("\\", "/")).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("."))
