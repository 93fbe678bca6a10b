"""Image data as tables: pixel-column layouts, and image folders read from a ZIP in memory.

Two layouts reach the advisor:

* **Pixel tables** — a CSV with one numeric column per pixel (``pixel0 …``,
  ``pixel1 …``, ``px_0 …``, ``p0 …``, ``0 …`` or ``pixel_r_c``), square
  side (or square × 3 for RGB, channel-last). :func:`detect_pixel_columns`
  recognises them from names *and* values: a bounded range (0–1, 0–16,
  0–255) and neighbouring pixels that correlate more than distant ones, so a
  wide sensor or survey table is not taken for an image.
* **Image folders** — a ZIP with one folder per class (``cat/001.png``), the
  layout ``torchvision.datasets.ImageFolder`` reads. :func:`read_image_zip`
  decodes every image with Pillow in memory (nothing is extracted), converts
  to grayscale or RGB and resizes to one small square side; the result is a
  pixel table (``pixel0 …`` channel-last, plus ``label``).

:func:`pixel_layout` turns a list of pixel column names into their order,
side and channels; the image kind (:mod:`engine.kinds.images`) and the
explainers use it. This module imports Pillow only when a ZIP is read.
"""

from __future__ import annotations

import gzip
import io
import re
import statistics
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterable

import numpy as np
import pandas as pd

from engine.io.data import DataError, load_notes, read_csv_bytes
from engine.io.dataset import Dataset
from engine.io.zipped import is_system_file

__all__ = [
    "PixelLayout",
    "pixel_layout",
    "detect_pixel_columns",
    "pixel_column_names",
    "read_image_zip",
    "read_gzip_csv",
    "IMAGE_SIDE",
    "MAX_ZIP_ENTRIES",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ENTRY_BYTES",
    "MAX_IMAGE_PIXELS",
]

#: Images from a ZIP are resized to this square side at most (smaller images keep their own side).
IMAGE_SIDE = 32
#: The smallest side a pixel table or an archive's images may have.
MIN_SIDE = 4
#: Archive limits: entries, their total uncompressed size, one entry's size, one image's width × height.
MAX_ZIP_ENTRIES = 50_000
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_ENTRY_BYTES = 32 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096
#: Pixel value ranges a pixel table may use: unit floats, 4-bit (scikit-learn's 8×8 digits), 8-bit.
PIXEL_RANGES = (1.0, 16.0, 255.0)
#: Neighbouring pixels must correlate at least this much on average, and this much more than distant pairs.
MIN_NEIGHBOUR_CORRELATION = 0.2
MIN_CORRELATION_GAIN = 0.1
_SAMPLE_ROWS = 2_000
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
_GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")
_INDEXED = re.compile(r"^(pixel|px|p|)_?(\d+)$", re.IGNORECASE)
_GRID = re.compile(r"^pixel_?(\d+)_(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class PixelLayout:
    """Pixel columns in row-major, channel-last order, with the image's side and channels."""

    columns: tuple[str, ...]
    side: int
    channels: int

    def images(self, frame: pd.DataFrame) -> np.ndarray:
        """``frame``'s pixel columns as float images (rows, side, side, channels); missing values are 0."""
        values = frame.loc[:, list(self.columns)].to_numpy(dtype=np.float64, na_value=0.0)
        return values.reshape(len(frame), self.side, self.side, self.channels)

    def describe(self) -> str:
        colour = "grayscale" if self.channels == 1 else "RGB"
        return f"{self.side}×{self.side} {colour} images in {len(self.columns):,} pixel columns"


def pixel_layout(names: Iterable[object]) -> PixelLayout | None:
    """The pixel layout of ``names`` if they are exactly one naming scheme's full grid, else None.

    Index schemes (``pixel0``, ``px_1``, ``p0``, ``0`` …) need a contiguous
    run from 0 or 1 of side² or 3 × side² indices; ``pixel_r_c`` needs every
    (row, column) of a square. Names outside the largest scheme are ignored.
    """
    indexed: dict[str, dict[int, str]] = {}
    grid: dict[tuple[int, int], str] = {}
    for raw in names:
        name = str(raw)
        if match := _GRID.match(name):
            grid[(int(match.group(1)), int(match.group(2)))] = name
        elif match := _INDEXED.match(name):
            indexed.setdefault(match.group(1).lower(), {})[int(match.group(2))] = name
    candidates = [layout for layout in [_grid_layout(grid), *(_indexed_layout(s) for s in indexed.values())] if layout]
    return max(candidates, key=lambda layout: len(layout.columns), default=None)


def _indexed_layout(scheme: dict[int, str]) -> PixelLayout | None:
    count = len(scheme)
    start = min(scheme, default=0)
    if start not in (0, 1) or set(scheme) != set(range(start, start + count)):
        return None
    for channels in (1, 3):
        side = int(round((count / channels) ** 0.5))
        if side >= MIN_SIDE and side * side * channels == count:
            return PixelLayout(tuple(scheme[i] for i in range(start, start + count)), side, channels)
    return None


def _grid_layout(grid: dict[tuple[int, int], str]) -> PixelLayout | None:
    if not grid:
        return None
    side = int(round(len(grid) ** 0.5))
    start = min(r for r, _ in grid)
    cells = [(r, c) for r in range(start, start + side) for c in range(start, start + side)]
    if side < MIN_SIDE or len(grid) != side * side or set(grid) != set(cells):
        return None
    return PixelLayout(tuple(grid[cell] for cell in cells), side, 1)


def detect_pixel_columns(frame: pd.DataFrame, exclude: str | None = None) -> PixelLayout | None:
    """The pixel columns of ``frame`` when they look like images, else None.

    Three tests, all required: the names form a pixel layout
    (:func:`pixel_layout`), the values are numbers in one bounded pixel range
    (0–1, or whole numbers in 0–16 or 0–255), and neighbouring pixels
    correlate (a mean correlation of at least
    :data:`MIN_NEIGHBOUR_CORRELATION`, and :data:`MIN_CORRELATION_GAIN` above
    pixels half an image apart). ``exclude`` (a chosen target) is never a pixel.
    """
    layout = pixel_layout(name for name in frame.columns if str(name) != exclude)
    if layout is None:
        return None
    sample = frame.loc[:, list(layout.columns)]
    if len(sample) > _SAMPLE_ROWS:
        sample = sample.sample(_SAMPLE_ROWS, random_state=0)
    if not all(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) for dtype in sample.dtypes):
        return None
    values = sample.to_numpy(dtype=np.float64)
    if len(values) < 2 or np.isnan(values).mean() > 0.05 or not _bounded(values[~np.isnan(values)]):
        return None
    images = np.nan_to_num(values).reshape(len(values), layout.side, layout.side, layout.channels).mean(axis=3)
    near, far = _neighbour_correlation(images)
    if near < MIN_NEIGHBOUR_CORRELATION or near - far < MIN_CORRELATION_GAIN:
        return None
    return layout


def pixel_column_names(frame: pd.DataFrame, exclude: str | None = None) -> set[object]:
    """The names of ``frame``'s pixel columns (see :func:`detect_pixel_columns`); empty when it holds no image."""
    layout = detect_pixel_columns(frame, exclude)
    if layout is None:
        return set()
    return {name for name in frame.columns if str(name) in set(layout.columns)}


def _bounded(values: np.ndarray) -> bool:
    """Values within [0, 1], or whole numbers within [0, 16] or [0, 255]."""
    if values.size == 0 or values.min() < 0:
        return False
    top = float(values.max())
    if top <= PIXEL_RANGES[0]:
        return True
    return top <= PIXEL_RANGES[-1] and bool(np.all(np.mod(values, 1) == 0))


def _neighbour_correlation(images: np.ndarray) -> tuple[float, float]:
    """Mean correlation of horizontally/vertically adjacent pixels, and of pixels half a side apart."""
    n, side, _ = images.shape
    flat = images.reshape(n, side * side)
    centred = flat - flat.mean(axis=0)
    scale = np.sqrt((centred**2).sum(axis=0))
    live = scale > 0
    standard = np.divide(centred, scale, out=np.zeros_like(centred), where=live).reshape(n, side, side)
    live = live.reshape(side, side)

    def mean_corr(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> float:
        corr = (a * b).sum(axis=0)
        return float(corr[ok].mean()) if ok.any() else 0.0

    near = np.mean([
        mean_corr(standard[:, :, :-1], standard[:, :, 1:], live[:, :-1] & live[:, 1:]),
        mean_corr(standard[:, :-1, :], standard[:, 1:, :], live[:-1, :] & live[1:, :]),
    ])
    half = side // 2
    far = np.mean([
        mean_corr(standard[:, :, :-half], standard[:, :, half:], live[:, :-half] & live[:, half:]),
        mean_corr(standard[:, :-half, :], standard[:, half:, :], live[:-half, :] & live[half:, :]),
    ])
    return float(near), float(far)


# --- compressed CSV -------------------------------------------------------------------------


def read_gzip_csv(name: str, raw: bytes, max_bytes: int) -> Dataset | None:
    """A gzip-compressed CSV (``.csv.gz``), decompressed in memory up to ``max_bytes``; None for other bytes."""
    if not raw.startswith(b"\x1f\x8b"):
        return None
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            text = stream.read(max_bytes + 1)
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"the gzip file could not be decompressed ({error})") from None
    if len(text) > max_bytes:
        raise DataError(f"the gzip file decompresses to more than {max_bytes / 1e6:.0f} MB, the limit")
    frame = read_csv_bytes(text, max_bytes=max_bytes)
    return Dataset(frame=frame, name=name, notes=tuple(load_notes(frame)))  # the CSV reader's repairs, as for a CSV


# --- image folders in a ZIP -------------------------------------------------------------------


@dataclass
class _Skipped:
    """What the archive reader left out, counted for the dataset's notes."""

    unsafe_paths: int = 0
    not_images: int = 0
    unreadable: int = 0
    outside_folders: int = 0

    def notes(self) -> list[str]:
        words = {
            "unsafe_paths": "entries with unsafe paths ('..' or absolute)",
            "not_images": "files that are not images",
            "unreadable": "images that could not be decoded (truncated or corrupt)",
            "outside_folders": "images outside a class folder",
        }
        return [f"skipped {count} {words[key]}" for key, count in vars(self).items() if count]


def read_image_zip(name: str, raw: bytes, max_bytes: int) -> Dataset | None:
    """An image-folder ZIP as a pixel table (None when ``raw`` is not a ZIP).

    Read in memory, never extracted. Refused with a :class:`DataError`: more
    than :data:`MAX_ZIP_ENTRIES` entries, over :data:`MAX_UNCOMPRESSED_BYTES`
    uncompressed (declared or actual), an entry over :data:`MAX_ENTRY_BYTES`,
    an image over :data:`MAX_IMAGE_PIXELS`, fewer than two classes, or a class
    with fewer than two images. Skipped and counted in the notes: unsafe
    paths, non-image files, unreadable images and files outside a class folder.
    """
    if not raw.startswith(b"PK"):
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise DataError(f"the ZIP archive could not be read ({error})") from None
    with archive:
        return _read_archive(name, archive, entries)


def _read_archive(name: str, archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> Dataset:
    from PIL import Image

    if len(entries) > MAX_ZIP_ENTRIES:
        raise DataError(f"the ZIP archive has {len(entries):,} entries; the limit is {MAX_ZIP_ENTRIES:,}")
    declared = sum(max(info.file_size, 0) for info in entries)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise DataError(_too_large(declared))
    skipped = _Skipped()
    files = []
    for info in entries:
        if info.is_dir():
            continue
        parts = _safe_parts(info.filename)
        if parts is None:
            skipped.unsafe_paths += 1
        elif is_system_file(info.filename):
            continue  # operating-system metadata, not the user's files
        elif PurePosixPath(parts[-1]).suffix.lower() not in _IMAGE_SUFFIXES:
            skipped.not_images += 1
        else:
            files.append((info, parts))
    files = _class_files(files, skipped)
    total = 0
    decoded: list[tuple[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        for info, label in files:
            data = _read_entry(archive, info)
            total += len(data)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise DataError(_too_large(total))
            image = _decode(data, info.filename, Image)
            if image is None:
                skipped.unreadable += 1
            else:
                decoded.append((label, image))
    return _as_dataset(name, decoded, skipped)


def _too_large(size: int) -> str:
    return (f"the ZIP archive holds {size / 1e6:,.0f} MB uncompressed; the limit is "
            f"{MAX_UNCOMPRESSED_BYTES / 1e6:,.0f} MB (a ZIP bomb, or too many large images)")


def _safe_parts(filename: str) -> list[str] | None:
    """The entry's path parts, or None for absolute paths, drive letters and '..'."""
    path = filename.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return None
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return parts


def _class_files(
    files: list[tuple[zipfile.ZipInfo, list[str]]], skipped: _Skipped
) -> list[tuple[zipfile.ZipInfo, str]]:
    """Each image with its class: the folder below one shared top folder (if every image has one)."""
    depth = 1 if files and all(len(p) >= 3 for _, p in files) and len({p[0] for _, p in files}) == 1 else 0
    labelled = []
    for info, parts in files:
        if len(parts) < depth + 2:
            skipped.outside_folders += 1
        else:
            labelled.append((info, parts[depth]))
    return labelled


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One entry's bytes, refusing it once it grows past :data:`MAX_ENTRY_BYTES` (declared sizes can lie)."""
    if info.file_size > MAX_ENTRY_BYTES:
        raise DataError(_entry_too_large(info))
    try:
        with archive.open(info) as stream:
            data = stream.read(MAX_ENTRY_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError):
        return b""  # corrupt, encrypted or an unsupported compression: counted as unreadable
    if len(data) > MAX_ENTRY_BYTES:
        raise DataError(_entry_too_large(info))
    return data


def _entry_too_large(info: zipfile.ZipInfo) -> str:
    return f"an entry of the ZIP archive is over {MAX_ENTRY_BYTES / 1e6:.0f} MB uncompressed; the limit per file"


def _image_too_large(size: str) -> str:
    return f"an image in the ZIP archive is {size}; the limit is {MAX_IMAGE_PIXELS:,} pixels per image"


def _decode(data: bytes, filename: str, Image: Any) -> Any:
    """The decoded image, centre-cropped square and at most :data:`IMAGE_SIDE` wide; None when unreadable.

    DataError when its dimensions are over :data:`MAX_IMAGE_PIXELS` (read from the header, before decoding).
    """
    from PIL import ImageOps

    if not data:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own check (at twice its limit) fires while reading the header.
        found = re.search(r"\((\d+) pixels\)", str(error))
        size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        raise DataError(_image_too_large(size)) from None
    except (OSError, ValueError, SyntaxError):
        return None
    if width * height > MAX_IMAGE_PIXELS:
        raise DataError(_image_too_large(f"{width:,} × {height:,} pixels"))
    if width < 1 or height < 1:
        return None
    try:
        image.draft("RGB", (IMAGE_SIDE * 2, IMAGE_SIDE * 2))  # JPEG: decode at a reduced scale
        image.load()
        # Square and small at once (centre crop, at most IMAGE_SIDE): the archive's images are never all held at full size.
        square = min(image.size[0], image.size[1], IMAGE_SIDE)
        mode = "L" if image.mode in _GRAY_MODES else "RGB"
        return ImageOps.fit(image.convert(mode), (square, square), method=Image.Resampling.BICUBIC)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


def _as_dataset(name: str, decoded: list[tuple[str, Any]], skipped: _Skipped) -> Dataset:
    from PIL import Image, ImageOps

    counts: dict[str, int] = {}
    for label, _ in decoded:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        found = "no readable image" if not counts else "one class folder"
        raise DataError(
            f"the ZIP archive has {found}; it needs one folder per class (cat/001.png, dog/002.png) and at least 2 classes"
        )
    rare = min(counts, key=lambda label: counts[label])
    if counts[rare] < 2:
        raise DataError(f"class folder {rare!r} of the ZIP archive has {counts[rare]} image; each class needs at least 2")
    side = max(MIN_SIDE, min(IMAGE_SIDE, int(statistics.median(min(image.size) for _, image in decoded))))
    rgb = any(_is_colour(image) for _, image in decoded)
    mode, channels = ("RGB", 3) if rgb else ("L", 1)
    pixels = np.empty((len(decoded), side * side * channels), dtype=np.uint8)
    for row, (_, image) in enumerate(decoded):
        fitted = ImageOps.fit(image.convert(mode), (side, side), method=Image.Resampling.BICUBIC)
        pixels[row] = np.asarray(fitted, dtype=np.uint8).reshape(-1)
    frame = pd.DataFrame(pixels, columns=[f"pixel{i}" for i in range(pixels.shape[1])])
    frame["label"] = [label for label, _ in decoded]
    colour = "RGB" if rgb else "grayscale"
    notes = [f"read {len(decoded):,} images in {len(counts)} class folders from the ZIP archive, "
             f"converted to {colour} and resized to {side}×{side} pixels"] + skipped.notes()
    return Dataset(frame=frame, name=name, notes=tuple(notes))


def _is_colour(image: Any) -> bool:
    """Whether an image has colour (grayscale-looking RGB images do not)."""
    if image.mode in _GRAY_MODES:
        return False
    array = np.asarray(image.convert("RGB"), dtype=np.int16)
    return bool(np.any(array[:, :, 0] != array[:, :, 1]) or np.any(array[:, :, 1] != array[:, :, 2]))
