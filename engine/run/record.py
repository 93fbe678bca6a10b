"""The run record: one comparison as typed, versioned, JSON-serialisable data.

``compare`` returns a :class:`engine.run.pipeline.ComparisonResult`, which *is* a
:class:`RunRecord` plus the fitted models and training frames. Everything a
page, the CLI or a report shows about a run comes from the record, so a run
written with :meth:`RunRecord.to_json` and read back with
:meth:`RunRecord.from_json` draws the same pages without the models. No
pickle: values are JSON (numpy arrays as nested lists, tables as
columns + rows), structured back by type through ``cattrs``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
from dataclasses import dataclass, field, fields
from importlib import metadata
from typing import Any

import cattrs
import numpy as np
import pandas as pd

from engine.measure.evaluate import ModelResult, Verdict
from engine.explain.explanation import Agreement, ModelExplanation
from engine.profile.profile import Task
from engine.advice.recommend import Advice

__all__ = ["SCHEMA_VERSION", "KEPT_EVERYTHING", "KEPT_RESULTS", "RecordError", "DatasetInfo", "RunOptions", "SplitSummary", "RunRecord", "software_versions"]

#: Bump when a field changes meaning or is removed; :meth:`RunRecord.from_json` upgrades older records.
SCHEMA_VERSION = 1

#: ``RunRecord.kept``: everything a comparison made (a live run, or saved with its rows), or its results only
#: (engine.share.consent.minimise: no row values, labels or predictions; SHAP as summaries).
KEPT_EVERYTHING = "everything"
KEPT_RESULTS = "results"

_PACKAGES = ("numpy", "pandas", "scikit-learn", "lightgbm", "torch", "shap", "streamlit", "plotly")


class RecordError(ValueError):
    """A stored record that cannot be read (malformed, or from a newer schema)."""


@dataclass(frozen=True)
class DatasetInfo:
    """Which data a run was made from (not the rows themselves)."""

    name: str
    sha256: str
    rows: int
    columns: int
    kind: str  # the registry's data kind: "tabular", "text", "images", …


@dataclass(frozen=True)
class RunOptions:
    """The options a comparison ran with; the same options on the same data reproduce it."""

    target: str
    seed: int
    max_seconds: float
    shap_rows: int
    ml_model: str
    dl_model: str
    explainer: str


@dataclass
class SplitSummary:
    """The shared split: its sizes, the test labels and which test rows were explained."""

    train_rows: int
    test_rows: int
    seed: int
    y_test: np.ndarray = field(repr=False)
    explained_positions: np.ndarray = field(repr=False)  # positions in the test set of the explained rows

    def to_dict(self) -> dict[str, int]:
        return {"train_rows": self.train_rows, "test_rows": self.test_rows, "seed": self.seed}


@dataclass
class RunRecord:
    """One comparison: advice, profile, metrics, verdict, explanations, notes, options, timings, versions."""

    dataset: DatasetInfo
    options: RunOptions
    advice: Advice
    classes: list[str] | None
    split: SplitSummary
    ml: ModelResult
    dl: ModelResult
    verdict: Verdict
    explanations: dict[str, ModelExplanation]
    agreement: Agreement
    explained_rows: pd.DataFrame = field(repr=False)
    explainer_mode: str = "fast"
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: Wall-clock seconds of the whole comparison (0 in older records): stage_seconds nest and overlap.
    run_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    budget_stops: list[str] = field(default_factory=list)  # what the clock cut short (the plan may still be reduced)
    software: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    schema_version: int = SCHEMA_VERSION
    #: The work each family was given before training (engine.measure.budget.WorkBudget.to_dict): empty in older records.
    work_budget: dict[str, Any] = field(default_factory=dict)
    #: What each family did against its plan: {"first_split": {"ml": {...}, "dl": {...}}, "later_splits": [...]}.
    work_done: dict[str, Any] = field(default_factory=dict)
    #: Per side that chose among several families by inner cross-validation: the choice and the inner scores.
    selection: dict[str, Any] = field(default_factory=dict)
    kept: str = KEPT_EVERYTHING
    summarised_rows: int = 0  # with kept == KEPT_RESULTS: how many explained rows the SHAP summaries cover
    #: Where it ran (engine.executors): {"executor": "in-process" | "ray", "node": ..., "device": "cpu" | "cuda"}.
    ran_on: dict[str, Any] = field(default_factory=dict)
    #: Per side, what its final model trained on: {"ml"|"dl": {"rows", "workers", "trainer", "device"}}
    #: (engine.pipeline; workers > 1: data-parallel on a Ray cluster). Empty in older records.
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def task(self) -> Task:
        return self.advice.profile.task

    @property
    def target(self) -> str:
        return self.advice.profile.target

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def budget_binding(self) -> bool:
        """Whether the time budget limited anything: the clock cut a stage short, or the plan was less than the full work."""
        return bool(self.budget_stops) or self.plan_reduced

    @property
    def plan_reduced(self) -> bool:
        """The work plan was less than the full work: a family below it, fewer repeated splits, no inner
        cross-validation or fewer SHAP rows than asked (older records: a family below its full work)."""
        return bool(self.work_reduced) or bool((self.work_budget or {}).get("reduced"))

    @property
    def work_reduced(self) -> list[str]:
        """The families (``"ml"``, ``"dl"``) the work budget planned below their full work (empty in older records)."""
        first = (self.work_done or {}).get("first_split", {})
        return [family for family in ("ml", "dl") if family in first and first[family]["planned"] < first[family]["full"]]

    @property
    def cut_short(self) -> bool:
        """Whether the clock's safety net stopped any planned work (training on any split, or SHAP)."""
        return bool(self.budget_stops)

    @property
    def agreed_with_recommendation(self) -> bool:
        """The recommended family did at least as well; a close call agrees only with a tie; an unfair fight never agrees."""
        choice, winner = self.advice.recommendation.choice, self.verdict.winner
        if not getattr(self.verdict, "fair", True):
            return False
        if choice == "either":
            return winner == "tie"
        return winner in (choice, "tie")

    def to_dict(self) -> dict[str, Any]:
        """The command-line JSON of DESIGN.md §4 (a contract: fields are added, never renamed)."""
        v = self.verdict
        return {
            "recommendation": self.advice.to_dict(),
            "task": self.task.value,
            "target": self.target,
            "data_kind": self.dataset.kind,
            "split": self.split.to_dict(),
            "models": {"ml": self.ml.to_dict() | {"key": self.options.ml_model},
                       "dl": self.dl.to_dict() | {"key": self.options.dl_model}},
            "winner": v.winner,
            "verdict": {"metric": v.metric, "difference_ml_minus_dl": v.difference, "interval": list(v.interval), "rule": v.rule,
                        "conclusive": v.conclusive, "flags": {"ml": self.ml.flags, "dl": self.dl.flags},
                        "splits": v.splits, "method": v.method, "p_value": v.p_value,
                        "split_differences": list(v.split_differences),
                        "fair": v.fair, "unfair_reason": v.unfair_reason,
                        "counts_for_track_record": v.counts_for_track_record,
                        "split_seeds": list(v.split_seeds), "train_rows": v.train_rows, "test_rows": v.test_rows},
            "selection": self.selection,
            "agreed_with_recommendation": self.agreed_with_recommendation,
            "explanations": {
                "ml": self.explanations["ml"].to_dict() | self._summarised(),
                "dl": self.explanations["dl"].to_dict() | self._summarised(),
                "agreement": self.agreement.to_dict(),
                "rows_explained": self.rows_explained,
                "mode": self.explainer_mode,
            },
            "stage_seconds": self.stage_seconds,
            "budget": {"seconds": self.options.max_seconds, "binding": self.budget_binding, "cut_short": self.budget_stops,
                       "run_cut_short": self.cut_short, "work": self.work_budget, "done": self.work_done},
            "notes": self.notes,
            "options": _converter.unstructure(self.options),
            "software": self.software,
            "kept": self.kept,
            "ran_on": self.ran_on,
            "training": self.training,
        }

    @property
    def rows_explained(self) -> int:
        """How many test rows SHAP explained (also when only their summaries were kept)."""
        return self.summarised_rows if self.kept == KEPT_RESULTS else len(self.explained_rows)

    def _summarised(self) -> dict[str, int]:
        return {"rows_explained": self.summarised_rows} if self.kept == KEPT_RESULTS else {}

    # -- persistence -------------------------------------------------------------------
    def record(self) -> "RunRecord":
        """This run as a plain record (drops whatever a subclass holds beyond it, e.g. fitted models)."""
        return RunRecord(**{f.name: getattr(self, f.name) for f in fields(RunRecord)})

    def to_json_dict(self) -> dict[str, Any]:
        """The whole record as JSON-ready data (``json.dumps`` takes it as it is)."""
        return _converter.unstructure(self.record())

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_json_dict(cls, payload: dict[str, Any]) -> "RunRecord":
        """Read a record written by :meth:`to_json_dict` (raises :class:`RecordError`)."""
        if not isinstance(payload, dict):
            raise RecordError("a run record is a JSON object")
        version = payload.get("schema_version")
        if not isinstance(version, int) or version < 1:
            raise RecordError("not a run record (no schema version)")
        if version > SCHEMA_VERSION:
            raise RecordError(f"this run was saved by a newer version (schema {version} > {SCHEMA_VERSION})")
        try:
            return _converter.structure(_upgrade(payload), RunRecord)
        except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as error:
            raise RecordError(f"the run record is malformed ({type(error).__name__})") from error

    @classmethod
    def from_json(cls, text: str | bytes) -> "RunRecord":
        try:
            payload = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RecordError("the run record is not valid JSON") from error
        return cls.from_json_dict(payload)


def software_versions() -> dict[str, str]:
    """Python's and the main packages' versions, read from installed metadata (nothing imported)."""
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _upgrade(payload: dict[str, Any]) -> dict[str, Any]:
    """Older schema versions brought up to :data:`SCHEMA_VERSION` (none yet: version 1 is the first)."""
    return payload


# --- JSON conversion -------------------------------------------------------------------

_converter = cattrs.Converter()


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones; NaN and infinities as None (strict JSON)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _unstructure_array(array: np.ndarray) -> dict[str, Any]:
    array = np.asarray(array)
    kind = "float" if array.dtype.kind in "fc" else "int" if array.dtype.kind in "iub" else "str"
    flat = [_plain(v) for v in array.ravel().tolist()] if kind == "float" else array.ravel().tolist()
    if kind == "str":
        flat = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in flat]
    return {"dtype": kind, "shape": list(array.shape), "data": flat}


def _structure_array(payload: Any, _: type) -> np.ndarray:
    if not isinstance(payload, dict) or "data" not in payload or "shape" not in payload:
        raise ValueError("an array is stored as {dtype, shape, data}")
    dtype = {"float": float, "int": np.int64, "str": object}[payload.get("dtype", "float")]
    data = [np.nan if v is None and dtype is float else v for v in payload["data"]]
    return np.asarray(data, dtype=dtype).reshape(payload["shape"])


def _unstructure_frame(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in frame.columns],
        "index": [_plain(i) for i in frame.index.tolist()],
        "rows": [[_plain(v) for v in row] for row in frame.astype(object).itertuples(index=False, name=None)],
    }


def _structure_frame(payload: Any, _: type) -> pd.DataFrame:
    if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
        raise ValueError("a table is stored as {columns, index, rows}")
    frame = pd.DataFrame(payload["rows"], columns=payload["columns"], index=payload.get("index"))
    return frame.infer_objects()


_converter.register_unstructure_hook(np.ndarray, _unstructure_array)
_converter.register_structure_hook(np.ndarray, _structure_array)
_converter.register_unstructure_hook(pd.DataFrame, _unstructure_frame)
_converter.register_structure_hook(pd.DataFrame, _structure_frame)
_converter.register_unstructure_hook(float, _plain)
_converter.register_structure_hook(float, lambda v, _: float("nan") if v is None else float(v))
