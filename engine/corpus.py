"""The benchmark corpus of the track record: its manifest and its built files.

The manifest (``benchmarks/corpus/manifest.toml``) names each dataset's source,
licence, target, task, data kind and how it is built; ``python -m
benchmarks.corpus`` builds every entry once into ``benchmarks/corpus/.cache/``
as a CSV (ignored by git). Nothing here downloads: a missing file is one
line saying which command builds it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data import DataError

__all__ = ["CORPUS_DIR", "MANIFEST", "CACHE_DIR", "BUILD_COMMAND", "CorpusEntry", "load_manifest", "entry_path", "select_entries"]

CORPUS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus"
MANIFEST = CORPUS_DIR / "manifest.toml"
CACHE_DIR = CORPUS_DIR / ".cache"
BUILD_COMMAND = "python -m benchmarks.corpus"

TASKS = ("binary", "multiclass", "regression")
KINDS = ("tabular", "text", "images")
SOURCES = ("sklearn", "wheel", "synthetic")
_REQUIRED = ("name", "source", "licence", "target", "task", "kind", "build")


@dataclass(frozen=True)
class CorpusEntry:
    """One dataset of the corpus, as the manifest describes it."""

    name: str
    source: str
    licence: str
    target: str
    task: str
    kind: str
    build: dict[str, Any] = field(default_factory=dict)
    quick: bool = False
    expected: str | None = None  # the family a synthetic generator was built to favour

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


def load_manifest(path: Path = MANIFEST) -> list[CorpusEntry]:
    """Every entry of the manifest, checked; a malformed entry is one ``DataError`` line."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DataError(f"the corpus manifest {path} cannot be read: {error}") from None
    entries: list[CorpusEntry] = []
    for number, item in enumerate(raw.get("dataset", []), start=1):
        missing = [key for key in _REQUIRED if not item.get(key)]
        if missing:
            raise DataError(f"corpus entry {number} ({item.get('name', 'unnamed')}) lacks {', '.join(missing)}")
        for key, allowed in (("task", TASKS), ("kind", KINDS)):
            if item[key] not in allowed:
                raise DataError(f"corpus entry {item['name']}: {key} {item[key]!r} is not one of {', '.join(allowed)}")
        if item["build"].get("from") not in SOURCES:
            raise DataError(f"corpus entry {item['name']}: build.from must be one of {', '.join(SOURCES)}")
        if item.get("expected") not in (None, "ml", "dl", "tie"):
            raise DataError(f"corpus entry {item['name']}: expected must be ml, dl or tie")
        entries.append(CorpusEntry(**{k: item[k] for k in _REQUIRED}, quick=bool(item.get("quick", False)),
                                   expected=item.get("expected")))
    names = [e.name for e in entries]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(f"the corpus manifest names {', '.join(duplicated)} more than once")
    return entries


def select_entries(entries: list[CorpusEntry], names: list[str] | None = None, quick: bool = False) -> list[CorpusEntry]:
    """The entries named (in manifest order), or the ``quick`` subset, or all."""
    if names:
        known = {e.name for e in entries}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise DataError(f"not in the corpus: {', '.join(unknown)}; entries are: {', '.join(sorted(known))}")
        return [e for e in entries if e.name in names]
    return [e for e in entries if e.quick] if quick else list(entries)


def entry_path(entry: CorpusEntry, cache: Path = CACHE_DIR) -> Path:
    """The built CSV of ``entry``; a ``DataError`` naming the build command when it is not built."""
    path = Path(cache) / entry.file_name
    if not path.is_file():
        raise DataError(f"corpus entry {entry.name} is not built: run `{BUILD_COMMAND} --only {entry.name}`")
    return path
