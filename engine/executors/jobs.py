"""The jobs executors run: one comparison (train both, then save to the run store), or any picklable call.

A job carries everything it needs (data, options, the store's URL), so it runs
the same in a thread of the web server or in a worker on another machine, and
saves its own result: a restart of the app, or another replica, still finds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.io.dataset import Dataset
from engine.executors.base import Progress, Resources

__all__ = ["CallJob", "ComparisonJob", "ComparisonOutcome", "device_name", "reopen"]


@dataclass
class ComparisonOutcome:
    """A finished comparison: the result (with its models), and where the job saved it, or why it could not."""

    result: Any  # engine.run.pipeline.ComparisonResult
    saved: Any = None  # engine.share.store.SavedRun (token and owner key), when the job saved it
    save_error: str | None = None


@dataclass
class ComparisonJob:
    """:func:`engine.run.pipeline.compare` with its arguments, and where to save the record.

    ``clock_seconds`` is the budget's clock in seconds, started when the job
    starts on its worker (the CLI passes what is left of its own clock, so
    loading the file counts); None: ``max_seconds`` from the start.
    ``save_to`` is a run store URL: the job saves its record there with what
    the user consented to keep (row-level results when ``keep_rows``, the
    uploaded data when ``keep_upload``; :meth:`engine.share.store.RunStore.save`), in
    one transaction, so a job that dies never leaves half a run.
    """

    data: Dataset | Any
    target: str | None
    seed: int = 0
    max_seconds: float = 60.0
    shap_rows: int = 100
    ml_kind: str | None = None
    dl_kind: str | None = None
    explainer: str = "fast"
    advice: Any = None
    overrides: dict[str, Any] = field(default_factory=dict)
    clock_seconds: float | None = None
    save_to: str | None = None
    keep_rows: bool = False
    keep_upload: bool = False
    resources: Resources = field(default_factory=Resources)

    def about(self) -> dict[str, Any]:
        """What a session that follows this job by its id (on another replica) shows and keeps: names and options."""
        return {
            "dataset": str(getattr(self.data, "name", "")), "target": self.target,
            "options": {"max_seconds": self.max_seconds, "shap_rows": self.shap_rows, "ml_kind": self.ml_kind,
                        "seed": self.seed, "explainer": self.explainer, "keep_rows": self.keep_rows,
                        "save_rows": self.keep_upload},
            "store": self.save_to,
        }

    def run(self, progress: Progress, placement: dict[str, Any]) -> ComparisonOutcome:
        from engine.measure.deadline import Deadline
        from engine.run.pipeline import compare

        deadline = Deadline(max(self.clock_seconds, 1e-3)) if self.clock_seconds is not None else None
        result = compare(
            self.data, self.target, seed=self.seed, max_seconds=self.max_seconds, shap_rows=self.shap_rows,
            ml_kind=self.ml_kind, dl_kind=self.dl_kind, progress=progress, advice=self.advice,
            explainer=self.explainer, deadline=deadline, **self.overrides,
        )
        result.ran_on = dict(placement) | {"device": device_name()}
        outcome = ComparisonOutcome(result=result)
        if self.save_to is not None:
            from engine.share.store import StoreError

            frame = getattr(self.data, "frame", None)
            upload = frame.to_csv(index=False) if self.keep_upload and frame is not None else None
            try:
                outcome.saved = _store(self.save_to).save(result, dataset_csv=upload, keep_rows=self.keep_rows)
            except StoreError as error:
                outcome.save_error = str(error)
        return outcome


@dataclass
class CallJob:
    """Any picklable function and arguments, as a job (the corpus runner's one dataset); it reports no progress."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    resources: Resources = field(default_factory=Resources)

    def run(self, progress: Progress, placement: dict[str, Any]) -> Any:
        return self.function(*self.args)


def reopen(store_url: str, saved: Any) -> ComparisonOutcome:
    """A finished comparison read back from the run store its job saved it to (no models: the record only)."""
    return ComparisonOutcome(result=_store(store_url).open(saved.token), saved=saved)


def device_name() -> str:
    """The device a network trains on in this process (engine.models.torch_base picks CUDA when present)."""
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a runtime requirement
        return "cpu"


_stores: dict[str, Any] = {}
_stores_lock = threading.Lock()


def _store(url: str) -> Any:
    """One run store (a connection pool) per URL per process, shared by the jobs it runs."""
    from engine.share.store import RunStore

    with _stores_lock:
        if url not in _stores:
            _stores[url] = RunStore(url)
        return _stores[url]
