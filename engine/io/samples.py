"""The small real datasets bundled in ``sample_data/`` (sources and licences in its README)."""

from __future__ import annotations

from pathlib import Path

from engine.io.data import DataError
from engine.io.dataset import Dataset, load_dataset_path

__all__ = ["SAMPLE_DATA", "SAMPLE_NOTES", "sample_names", "sample_paths", "sample_note", "sample_title", "load_sample"]

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

#: One line per sample for the home page; a data kind's module adds its own samples' lines.
SAMPLE_NOTES: dict[str, str] = {
    "breast_cancer.csv": "569 rows · binary diagnosis (malignant / benign)",
    "wine.csv": "178 rows · 3 wine cultivars",
    "diabetes.csv": "442 rows · regression of disease progression",
    "seattle_weather.csv": "1,461 days · 5 kinds of weather, with a date column",
    "cars.csv": "406 cars · origin (USA / Europe / Japan), with missing values",
    "movie_reviews.csv": "3,000 movie review snippets · fresh or rotten (text)",
    "mnist_digits.csv.gz": "5,000 handwritten digits · 28×28 pixel columns",
    "digit_images.zip": "400 digit images · one folder per class (ZIP)",
}
_SUFFIXES = (".csv", ".zip", ".gz")


def sample_paths() -> list[Path]:
    """Every bundled sample file, sorted by name."""
    return sorted(p for p in SAMPLE_DATA.iterdir() if p.suffix in _SUFFIXES)


def sample_names() -> list[str]:
    return [p.name for p in sample_paths()]


def sample_note(name: str) -> str:
    return SAMPLE_NOTES.get(name, "")


def sample_title(name: str) -> str:
    """'seattle_weather.csv' -> 'seattle weather'."""
    return Path(name.removesuffix(".gz")).stem.replace("_", " ")


def load_sample(name: str) -> Dataset:
    """Read one bundled sample by file name (raises DataError for anything else)."""
    if name not in sample_names():
        raise DataError(f"no bundled sample named {name!r}")
    return load_dataset_path(SAMPLE_DATA / name)
