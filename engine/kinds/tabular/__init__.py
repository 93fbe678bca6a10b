"""Tabular data: gradient-boosted trees (or a linear model) against a PyTorch MLP.

The fallback kind (priority 0): any profiled table with numeric, categorical
or date columns. Builders and explainers import torch, LightGBM and shap only
when called, so registering this kind costs nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.profile.profile import DatasetProfile
from engine.registry import (
    DataKindSpec, ModelSpec, TrainingContext, boosting_raw_output, fit_network, linear_raw_output, network_raw_output,
    register,
)
from engine.common.wording import count
from engine.measure.work import boosting_work, linear_work, mlp_work

__all__ = ["TABULAR", "BOOSTING", "LINEAR", "MLP"]


def _explainer(method: str) -> Any:
    def explain(fitted: Any, background: pd.DataFrame, rows: pd.DataFrame, labels: list[str], seed: int) -> Any:
        from engine.explain.explain import explain_tabular

        return explain_tabular(fitted, background, rows, labels, seed, method=method)

    explain.__name__ = f"explain_{method.replace('-', '_')}"
    return explain


def _build_boosting(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    from engine.models.ml import make_ml_model

    return make_ml_model(profile, kind="boosting", seed=seed)


def _build_linear(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    from engine.models.ml import make_ml_model

    return make_ml_model(profile, kind="linear", seed=seed)


def _build_mlp(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    from engine.models.dl import make_dl_model

    return make_dl_model(profile, seed=seed, max_seconds=max_seconds)


def _fit_boosting(model: Any, X: pd.DataFrame, y: pd.Series, context: TrainingContext) -> list[str]:
    """LightGBM with a wall-clock budget, reporting every 20 trees."""
    from engine.models.ml import fit_boosting_with_clock

    rounds = {"done": 0, "total": 0}

    def on_iteration(done: int, total: int) -> None:
        rounds.update(done=done, total=total)
        if done % 20 == 0:
            context.report(f"tree {done} of {total}", done / max(total, 1))

    if fit_boosting_with_clock(model, X, y, context.max_seconds, on_iteration):
        note = f"stopped by the time budget after {rounds['done']:,} of {count(rounds['total'], 'boosting round')}"
        context.budget_stops.append(note)
        return [note]
    return []


BOOSTING = ModelSpec(
    key="boosting", family="ml", label="Gradient-boosted trees (LightGBM)",
    build=_build_boosting, fit=_fit_boosting,
    explainers={"fast": _explainer("tree"), "shared": _explainer("tree-interventional")},
    why="tree ensembles remain the strongest classic models on typical tabular data (Grinsztajn et al., 2022)",
    name=lambda fitted: "LightGBM gradient-boosted trees",
    work=boosting_work(200),
    raw=boosting_raw_output,
)
LINEAR = ModelSpec(
    key="linear", family="ml", label="Linear model (most transparent)",
    build=_build_linear,
    explainers={"fast": _explainer("linear"), "shared": _explainer("linear-interventional")},
    why="a linear model's coefficients are the most transparent reference",
    name=lambda fitted: "Linear model",
    work=linear_work(200),
    raw=linear_raw_output,
)
MLP = ModelSpec(
    key="mlp", family="dl", label="PyTorch MLP",
    build=_build_mlp, fit=fit_network,
    explainers={"fast": _explainer("deep"), "shared": _explainer("permutation")},
    why="a multilayer perceptron is the standard deep-learning baseline for tables",
    name=lambda fitted: fitted[-1].display_name,
    work=mlp_work(100),
    raw=network_raw_output,
)

TABULAR = register(DataKindSpec(
    key="tabular", label="tabular",
    matches=lambda profile: True,
    feature_columns=lambda profile: profile.feature_columns,
    ml_models=(BOOSTING, LINEAR),
    dl_models=(MLP,),
    priority=0,
    why=lambda profile: (f"{len(profile.feature_columns)} numeric, categorical or date columns and no free text "
                         "or image pixels: a table"),
))
