"""Model families per data kind: the one table that ``compare``, the CLI and the pages read.

A data kind (tabular, text, images, …) is a :class:`DataKindSpec`: how to
recognise it from a profile, which columns its models use, and its model
families. A model family is a :class:`ModelSpec`: how to build the unfitted
estimator for a profile, how to fit it (progress and notes), what it is
called, and which explainer serves each SHAP mode. Adding a kind means a new
module under ``engine/kinds/`` that calls :func:`register`; the pipeline and
the pages only iterate this table.

This module is light (no torch, no shap): builders and explainers import what
they need when called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from engine.common.sections import Section
from engine.io.data import DataError
from engine.profile.profile import DatasetProfile

__all__ = [
    "TrainingContext",
    "ModelSpec",
    "DataKindSpec",
    "ExplainFn",
    "RawOutputFn",
    "boosting_raw_output",
    "network_raw_output",
    "linear_raw_output",
    "predicted_raw_output",
    "register",
    "unregister",
    "registered_kinds",
    "KindDecision",
    "decide_kind",
    "kind_for",
    "kind_named",
    "no_usable_feature",
    "kind_of_run",
    "explanation_sections",
    "upload_help",
    "fit_network",
    "ml_model_keys",
    "dl_model_keys",
]


@dataclass(frozen=True)
class TrainingContext:
    """What a family's ``fit`` gets besides the data: budget, seed, progress."""

    profile: DatasetProfile
    seed: int
    max_seconds: float
    report: Callable[[str, float], None]  # (message, fraction of this model's training done in 0..1)
    #: A ``fit`` that the time budget stopped early appends one line saying so (the page says the budget was binding).
    budget_stops: list[str] = field(default_factory=list)


#: ``explain(fitted, background, rows, output_labels, seed) -> engine.explain.explanation.ModelExplanation``
ExplainFn = Callable[[Any, pd.DataFrame, pd.DataFrame, list[str], int], Any]


#: ``raw(model, X) -> array``: a fitted final estimator's raw output on rows its pipeline's preprocessing encoded.
RawOutputFn = Callable[[Any, Any], Any]


def boosting_raw_output(model: Any, X: Any) -> Any:
    """Gradient-boosted trees (LightGBM): the raw score, log-odds per class (or the prediction for a regression)."""
    return model.predict(X, raw_score=True)


def network_raw_output(model: Any, X: Any) -> Any:
    """A network of :mod:`engine.models.torch_base`: its logits (or its prediction for a regression)."""
    return model.raw_output(X)


def linear_raw_output(model: Any, X: Any) -> Any:
    """A linear model: the decision function (log-odds) of a classifier, the prediction of a regressor."""
    from sklearn.base import is_classifier

    return model.decision_function(X) if is_classifier(model) else model.predict(X)


def predicted_raw_output(model: Any, X: Any) -> Any:
    """Any other estimator: its prediction (what a family without a finer raw output is explained on)."""
    return model.predict(X)


def plain_fit(model: Any, X: pd.DataFrame, y: pd.Series, context: TrainingContext) -> list[str]:
    """Fit with no progress beyond start and end; no notes."""
    model.fit(X, y)
    return []


@dataclass(frozen=True)
class ModelSpec:
    """One model family of one data kind.

    ``build(profile, seed, max_seconds)`` returns an unfitted scikit-learn
    estimator (usually a Pipeline) with ``predict`` and, for classification,
    ``predict_proba`` and ``classes_``. ``explainers`` maps each SHAP mode
    (``engine.common.thresholds.EXPLAINER_MODES``) to its explainer.
    ``raw`` says how its fitted final estimator gives the raw output SHAP
    explains (log-odds, logits or predictions): one of the readers above, or
    the kind's own; explainers call :meth:`raw_output`, never guess from the
    model's methods.
    """

    key: str
    family: str  # "ml" | "dl"
    label: str  # a choice in the CLI and on the page
    build: Callable[[DatasetProfile, int, float], Any]
    explainers: Mapping[str, ExplainFn]
    why: str = ""  # one sentence: why this family for this kind of data
    fit: Callable[[Any, pd.DataFrame, pd.Series, TrainingContext], list[str]] = plain_fit
    name: Callable[[Any], str] | None = None  # the fitted model's display name; default: label
    #: How its training is bounded in work (engine.measure.budget.WorkSpec); None: one fit, not budgeted.
    work: Any = None
    raw: RawOutputFn = predicted_raw_output

    def display_name(self, fitted: Any) -> str:
        return self.name(fitted) if self.name is not None else self.label

    def raw_output(self, model: Any, X: Any) -> np.ndarray:
        """The fitted final estimator's raw output on encoded rows ``X``, as float64 (rows, outputs)."""
        out = np.asarray(self.raw(model, X), dtype=np.float64)
        return out.reshape(out.shape[0], -1)


@dataclass(frozen=True)
class DataKindSpec:
    """A kind of data: how it is recognised, which columns its models use, its model families, and its views.

    ``matches(profile)`` decides whether a profiled table is this kind; among
    matching kinds the highest ``priority`` wins (tabular, the fallback, is 0).
    The first entry of ``ml_models`` and ``dl_models`` is the default.
    ``explanation_sections`` and the wording fields below are what the pages
    and the report show for this kind: they ask here, never for a kind by name.
    """

    key: str
    label: str
    matches: Callable[[DatasetProfile], bool]
    feature_columns: Callable[[DatasetProfile], list[str]]
    ml_models: tuple[ModelSpec, ...]
    dl_models: tuple[ModelSpec, ...]
    priority: int = 0
    notes: Callable[[DatasetProfile], list[str]] = field(default=lambda profile: [])
    max_explained_rows: int | None = None  # SHAP on at most this many test rows, whatever the user asks (None: no cap)
    #: ``why(profile)``: one sentence saying why this profile is this kind (the page and the JSON show it).
    why: Callable[[DatasetProfile], str] = field(default=lambda profile: "")
    #: What the advice's criteria score this kind as: a value of ``engine.advice.recommend.DataKind`` and of ``ProblemType``.
    advice_data_kind: str = "tabular"
    advice_problem: str = "other"
    #: ``explanation_sections(result, output)``: the kind's own sections (:mod:`engine.common.sections`) of the
    #: Explanations page and the report for a run of this kind (live or saved), for output ``output``; none when
    #: the run lacks the detail they draw.
    explanation_sections: Callable[[Any, int], Sequence[Section]] = field(default=lambda result, output: ())
    #: Whether per-column charts (importance bars, beeswarms) mean something for this kind: not where the columns
    #: are pixels, whose maps (the kind's own sections) say where a model looks.
    column_charts: bool = True
    #: What one explained feature is (the agreement chart's points) when the explanations are per column.
    feature_unit: str = "column"
    #: Why the per-column charts are left out for this kind when they are (after "No per-column charts: ").
    no_column_charts: str = ""
    #: Sentences for the Recommend page's upload help: what of this kind a user can upload, and how it is read.
    upload_help: str = ""

    def ml_model(self, key: str | None = None) -> ModelSpec:
        """The ML family named ``key`` (None: the default); DataError names the choices otherwise."""
        return _choose(self, self.ml_models, key, "classic ML")

    def dl_model(self, key: str | None = None) -> ModelSpec:
        return _choose(self, self.dl_models, key, "deep learning")


_KINDS: dict[str, DataKindSpec] = {}


def register(kind: DataKindSpec) -> DataKindSpec:
    """Add (or replace) a data kind; returns it so a module can keep a reference."""
    _KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    """Remove a data kind (tests register toy kinds and take them out again)."""
    _KINDS.pop(key, None)


def registered_kinds() -> list[DataKindSpec]:
    """Every registered kind, most specific first."""
    _load_builtin_kinds()
    return sorted(_KINDS.values(), key=lambda k: -k.priority)


@dataclass(frozen=True)
class KindDecision:
    """What the data is (a registered kind's key and label) and why: the one answer the advice and ``compare`` share."""

    kind: str
    label: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "label": self.label, "why": self.why}


def decide_kind(profile: DatasetProfile) -> KindDecision:
    """The one decision of the data kind: the most specific registered kind that matches, and why."""
    kind = kind_for(profile)
    return KindDecision(kind=kind.key, label=kind.label, why=kind.why(profile) or f"the data reads as {kind.label} data")


def kind_for(profile: DatasetProfile) -> DataKindSpec:
    """The most specific registered kind that matches ``profile`` (:func:`decide_kind` says why)."""
    for kind in registered_kinds():
        if kind.matches(profile):
            return kind
    raise DataError("no model family can use this data")


def no_usable_feature(profile: DatasetProfile, kind: DataKindSpec | None = None) -> str | None:
    """Why no model could train on ``profile`` (no column its kind can use as a feature), or None when one can.

    ``compare`` refuses with it; the advice, which the criteria still give,
    says it beside them (an identifier and a label alone got "classic ML, 94 %").
    ``kind``: the profile's kind when the caller has it (default :func:`kind_for`).
    """
    if (kind or kind_for(profile)).feature_columns(profile):
        return None
    ignored = ", ".join(f"{name} ({why})" for name, why in profile.ignored_columns.items())
    return f"no column the models can use: {ignored or 'none besides the target'}"


def kind_named(key: str) -> DataKindSpec:
    _load_builtin_kinds()
    try:
        return _KINDS[key]
    except KeyError:
        raise DataError(f"unknown data kind {key!r}") from None


def kind_of_run(result: Any) -> DataKindSpec | None:
    """The registered kind a run (live or a saved record) was made as; None when no such kind is registered here."""
    _load_builtin_kinds()
    return _KINDS.get(getattr(getattr(result, "dataset", None), "kind", None) or "")


def explanation_sections(result: Any, output: int = 0) -> list[Section]:
    """The sections the run's kind adds to the Explanations page and the report, for output ``output``.

    A saved run of a kind not registered in this process is drawn by the
    first registered kind that finds its detail in the run (or by none).
    """
    kind = kind_of_run(result)
    if kind is not None:
        return list(kind.explanation_sections(result, output))
    for candidate in registered_kinds():
        sections = list(candidate.explanation_sections(result, output))
        if sections:
            return sections
    return []


def upload_help() -> str:
    """What every registered kind says a user can upload, in one paragraph (each sentence once)."""
    sentences: list[str] = []
    for kind in registered_kinds():
        if kind.upload_help and kind.upload_help not in sentences:
            sentences.append(kind.upload_help)
    return " ".join(sentences)


def ml_model_keys() -> list[str]:
    """Every ML family key over all kinds, in registration order (the CLI's choices)."""
    return _keys("ml_models")


def dl_model_keys() -> list[str]:
    return _keys("dl_models")


def _keys(attribute: str) -> list[str]:
    keys: list[str] = []
    for kind in registered_kinds()[::-1]:
        keys += [m.key for m in getattr(kind, attribute) if m.key not in keys]
    return keys


def _choose(kind: DataKindSpec, models: tuple[ModelSpec, ...], key: str | None, side: str) -> ModelSpec:
    if key is None or key == "auto":
        return models[0]
    for model in models:
        if model.key == key:
            return model
    choices = ", ".join(m.key for m in models)
    raise DataError(f"the {side} model {key!r} does not fit {kind.label} data; choose one of: {choices}")


def fit_network(model: Any, X: Any, y: Any, context: TrainingContext) -> list[str]:
    """Any pipeline ending in a :class:`engine.models.torch_base.TorchEstimator`: epochs reported, training summarised.

    Shared by every kind with a network (here, not in one kind, so no kind imports another's internals).
    """
    from engine.common import thresholds as th

    def on_epoch(epoch: int, max_epochs: int, loss: float) -> None:
        context.report(f"epoch {epoch} (validation loss {loss:.4f})", min(epoch / max_epochs, 1.0))

    model.fit(X, y, model__on_epoch=on_epoch)
    network = model[-1]
    notes = [network.training_summary()]
    if network.stopped_by_ == "time_budget":
        from engine.common.wording import count

        context.budget_stops.append(f"stopped by the time budget after {count(network.n_epochs_, 'epoch')}")
    if network.batch_size_ == th.LARGE_DATA_DL_BATCH_SIZE:
        notes.append(
            f"{len(X):,} training rows: the network trains with batches of {network.batch_size_} at learning rate "
            f"{network.learning_rate_:g} (large-data setting)"
        )
    return notes


#: The package whose import registers the built-in kinds (and their loaders).
BUILTIN_KINDS = "engine.kinds"


def load_builtin_kinds() -> None:
    """Import the built-in kinds once (each registers itself).

    By name, as a plug-in is found: the registry (and the loaders below it) sit under the kinds that fill them
    and never import them, so the import graph stays a tree (``tests/test_import_graph.py``).
    """
    import importlib

    importlib.import_module(BUILTIN_KINDS)


_load_builtin_kinds = load_builtin_kinds
