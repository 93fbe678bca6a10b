"""Text data, and tables with text: TF-IDF into a linear model against a PyTorch token network, explained token by token.

Two kinds share these families. ``text`` matches a table whose free-text
columns are at least half of its feature columns; ``mixed`` a table with
free text beside more numeric, categorical or date columns. In both, the
tabular columns join both models: the linear model reads TF-IDF features
and the scaled, one-hot tabular columns; the token network reads the tokens
and the same tabular columns. (A mixed table is thus compared as text plus
columns, not as LightGBM on the columns alone: the text is not dropped.) Both families are explained with
one SHAP definition (:mod:`engine.kinds.text.explain`: token Shapley values by
batched antithetic permutation walks on the shared tokenizer), in either
explainer mode.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.common import thresholds as th
from engine.measure.work import tfidf_work, token_network_work
from engine.profile.profile import ColumnKind, DatasetProfile
from engine.registry import DataKindSpec, ModelSpec, TrainingContext, fit_network, linear_raw_output, register

__all__ = ["TEXT", "MIXED", "TFIDF_LINEAR", "TEXT_NETWORK", "is_mostly_text"]


def _text_columns(profile: DatasetProfile) -> list[str]:
    return [c.name for c in profile.columns if c.name != profile.target and c.kind is ColumnKind.TEXT]


def _feature_columns(profile: DatasetProfile) -> list[str]:
    text = set(_text_columns(profile))
    return [c.name for c in profile.columns if c.name in text or c.name in profile.feature_columns]


def is_mostly_text(profile: DatasetProfile) -> bool:
    """Free text is at least half of the columns a model reads (text, tabular and stray pixel columns)."""
    text = len(_text_columns(profile))
    features = len(profile.feature_columns) + text + profile.kind_count(ColumnKind.IMAGE_PIXEL)
    return text > 0 and text >= 0.5 * features


def _why_text(profile: DatasetProfile) -> str:
    others = len(profile.feature_columns)
    beside = f" beside {others} other column{'s' * (others != 1)}" if others else ""
    return f"free text in {_plural(len(_text_columns(profile)), 'column')}{beside}: text"


def _why_mixed(profile: DatasetProfile) -> str:
    return (f"{_plural(len(profile.feature_columns), 'numeric, categorical or date column')} beside free text in "
            f"{_plural(len(_text_columns(profile)), 'column')}: a table with text, so both models read the text "
            "and the columns")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _notes(profile: DatasetProfile) -> list[str]:
    notes = [f"text data: {', '.join(_text_columns(profile))} read as free text (one regex tokenizer for both models, "
             f"the first {th.TEXT_MAX_TOKENS} tokens of each document)"]
    for column in profile.columns:
        if column.kind is ColumnKind.TEXT and column.name != profile.target and column.missing_share >= 0.5:
            notes.append(f"text column {column.name} is empty in {column.missing_share:.0%} of rows; "
                         "empty documents count as no words")
    return notes


def _explainer(family: str) -> Any:
    """Token SHAP for the family keyed ``family``, on that family's raw output."""

    def explain(fitted: Any, background: pd.DataFrame, rows: pd.DataFrame, labels: list[str], seed: int) -> Any:
        from engine.kinds.text.explain import explain_text

        spec = _FAMILIES[family]  # looked up when called: the specs are defined below, with these explainers
        return explain_text(fitted, background, rows, labels, seed, raw_output=spec.raw_output)

    explain.__name__ = f"explain_text_{family}"
    return explain


def _explanation_sections(result: Any, output: int) -> Any:
    from engine.kinds.text.sections import explanation_sections

    return explanation_sections(result, output)


#: Why a single text column gets no per-column charts (one bar for ``review`` says nothing).
_NO_COLUMN_CHARTS = "there is one text column, so the words above show what each model reads."
_UPLOAD_HELP = "Columns of free text (reviews, tickets, notes) are read as text by both models."


def token_network_raw_output(model: Any, X: Any) -> Any:
    """The token network's logits computed in float64: token SHAP's sums then reproduce them to ~1e-12."""
    return model.raw_output_float64(X)


def _linear_name(fitted: Any) -> str:
    from sklearn.base import is_classifier

    return "TF-IDF (word 1-2-grams, char 2-5-grams) + " + (
        "logistic regression" if is_classifier(fitted[-1]) else "ridge regression")


def _build_tfidf(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    from engine.kinds.text.models import make_tfidf_model

    return make_tfidf_model(profile, seed=seed)


def _build_network(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    from engine.kinds.text.models import make_text_network

    return make_text_network(profile, seed=seed, max_seconds=max_seconds)


def _fit_tfidf(model: Any, X: pd.DataFrame, y: pd.Series, context: TrainingContext) -> list[str]:
    from engine.kinds.text.models import fit_checked

    context.report("TF-IDF vocabulary and linear model", 0.0)
    return fit_checked(model, X, y)


def _fit_network(model: Any, X: pd.DataFrame, y: pd.Series, context: TrainingContext) -> list[str]:
    from engine.kinds.text.models import check_has_words

    check_has_words(X, model)
    return fit_network(model, X, y, context)


# Token SHAP is one definition for both families, so "fast" and "shared" are the same explainer.
TFIDF_LINEAR = ModelSpec(
    key="tfidf-linear", family="ml", label="TF-IDF + linear model",
    build=_build_tfidf, fit=_fit_tfidf,
    explainers={"fast": _explainer("tfidf-linear"), "shared": _explainer("tfidf-linear")},
    raw=linear_raw_output,
    why="TF-IDF word and character n-grams into a linear model are the standard, transparent classic baseline for text",
    name=_linear_name,
    work=tfidf_work(200),
)
TEXT_NETWORK = ModelSpec(
    key="text-net", family="dl", label="PyTorch token network",
    build=_build_network, fit=_fit_network,
    explainers={"fast": _explainer("text-net"), "shared": _explainer("text-net")},
    raw=token_network_raw_output,
    why="a network trained from scratch learns word embeddings from the raw tokens",
    name=lambda fitted: fitted[-1].display_name,
    work=token_network_work(th.TEXT_NET_MAX_STEPS),
)
_FAMILIES = {spec.key: spec for spec in (TFIDF_LINEAR, TEXT_NETWORK)}

TEXT = register(DataKindSpec(
    key="text", label="text",
    matches=is_mostly_text,
    feature_columns=_feature_columns,
    ml_models=(TFIDF_LINEAR,),
    dl_models=(TEXT_NETWORK,),
    priority=10,
    notes=_notes,
    why=_why_text,
    advice_data_kind="text",
    advice_problem="language",
    explanation_sections=_explanation_sections,
    no_column_charts=_NO_COLUMN_CHARTS,
    upload_help=_UPLOAD_HELP,
))
MIXED = register(DataKindSpec(
    key="mixed", label="table with text",
    matches=lambda profile: bool(_text_columns(profile)) and not is_mostly_text(profile),
    feature_columns=_feature_columns,
    ml_models=(TFIDF_LINEAR,),
    dl_models=(TEXT_NETWORK,),
    priority=10,
    notes=_notes,
    why=_why_mixed,
    advice_data_kind="mixed",
    explanation_sections=_explanation_sections,
    no_column_charts=_NO_COLUMN_CHARTS,
    upload_help=_UPLOAD_HELP,
))
