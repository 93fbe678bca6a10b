"""Images: gradient-boosted trees (or a linear model) on the pixels against a small PyTorch CNN.

Matches a profile whose pixel columns (``ColumnKind.IMAGE_PIXEL``, set by
:func:`engine.kinds.images.pixels.detect_pixel_columns` while profiling) form a full
square layout: a pixel-table CSV, or an image-folder ZIP read by
:func:`engine.kinds.images.pixels.read_image_zip` (registered here as a loader, with the
gzip CSV reader). Both families see the same pixel columns in layout order;
both are explained pixel by pixel (:mod:`engine.kinds.images.explain`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.io.dataset import register_loader
from engine.kinds.images.pixels import IMAGE_SIDE, PixelLayout, pixel_column_names, pixel_layout, read_gzip_csv, read_image_zip
from engine.measure.work import boosting_work, cnn_work, linear_work
from engine.profile.profile import ColumnKind, DatasetProfile, register_group_detector
from engine.registry import (
    DataKindSpec, ModelSpec, TrainingContext, boosting_raw_output, fit_network, linear_raw_output, network_raw_output,
    register,
)

__all__ = ["IMAGES", "PIXEL_BOOSTING", "PIXEL_LINEAR", "CNN", "layout_of"]

#: Images explained per comparison at most: the maps need a few dozen; each image costs its
#: explainers hundreds of model calls (deep: outputs × background images; partition: 500).
IMAGE_SHAP_ROWS = 60

register_loader(read_image_zip)
register_loader(read_gzip_csv)
register_group_detector(ColumnKind.IMAGE_PIXEL, lambda frame, exclude: pixel_column_names(frame, exclude=exclude))


def layout_of(profile: DatasetProfile) -> PixelLayout | None:
    """The pixel layout of a profile's image-pixel columns (None when they are not a full square)."""
    names = [c.name for c in profile.columns if c.kind is ColumnKind.IMAGE_PIXEL and c.name != profile.target]
    return pixel_layout(names) if names else None


def _layout(profile: DatasetProfile) -> PixelLayout:
    layout = layout_of(profile)
    if layout is None:  # matches() guarantees a layout; this is a caller's mistake
        raise ValueError("the profile has no square pixel layout")
    return layout


def _explainer(method: str, family: str) -> Any:
    """``method`` for the family keyed ``family``: model-agnostic methods read that family's raw output."""

    def explain(fitted: Any, background: pd.DataFrame, rows: pd.DataFrame, labels: list[str], seed: int) -> Any:
        from engine.kinds.images.explain import explain_images

        spec = _FAMILIES[family]  # looked up when called: the specs are defined below, with these explainers
        return explain_images(fitted, background, rows, labels, seed, method=method, raw_output=spec.raw_output)

    explain.__name__ = f"explain_pixels_{method}"
    return explain


def _passthrough() -> Any:
    from sklearn.preprocessing import FunctionTransformer

    return FunctionTransformer(feature_names_out="one-to-one")


def _build_boosting(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    """LightGBM on raw pixels, sized for hundreds of columns: fewer, smaller trees on a third of the pixels each."""
    import lightgbm
    from sklearn.pipeline import Pipeline

    params = dict(
        n_estimators=60, learning_rate=0.15, num_leaves=15, max_bin=15, min_child_samples=10,
        subsample=0.8, subsample_freq=1, colsample_bytree=0.3,
        random_state=seed, n_jobs=1, deterministic=True, force_row_wise=True, verbosity=-1,
    )
    model = lightgbm.LGBMClassifier(**params) if profile.task.is_classification else lightgbm.LGBMRegressor(**params)
    return Pipeline([("prep", _passthrough()), ("model", model)])


def _build_linear(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    """Logistic (or ridge) regression on pixels scaled to 0–1 per column."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler

    model = LogisticRegression(max_iter=500, C=0.1) if profile.task.is_classification else Ridge(alpha=1.0)
    return Pipeline([("prep", MaxAbsScaler()), ("model", model)])


def _build_cnn(profile: DatasetProfile, seed: int, max_seconds: float) -> Any:
    from sklearn.pipeline import Pipeline

    from engine.kinds.images.cnn import TorchCNNClassifier, TorchCNNRegressor

    layout = _layout(profile)
    cls = TorchCNNClassifier if profile.task.is_classification else TorchCNNRegressor
    network = cls(side=layout.side, channels=layout.channels, random_state=seed, max_seconds=max_seconds)
    return Pipeline([("prep", _passthrough()), ("model", network)])


def _fit_boosting(model: Any, X: pd.DataFrame, y: pd.Series, context: TrainingContext) -> list[str]:
    """LightGBM with a wall-clock budget, reporting every 10 rounds."""
    from engine.models.ml import fit_boosting_with_clock

    def on_iteration(done: int, total: int) -> None:
        if done % 10 == 0:
            context.report(f"round {done} of {total}", done / max(total, 1))

    fit_boosting_with_clock(model, X, y, context.max_seconds, on_iteration)
    return []


def _fit_cnn(model: Any, X: pd.DataFrame, y: pd.Series, context: TrainingContext) -> list[str]:
    notes = fit_network(model, X, y, context)
    network = model[-1]
    if network.shift:
        notes.append(f"the CNN trained on images shifted by up to {network.shift} pixel in each direction (augmentation)")
    return notes


def _notes(profile: DatasetProfile) -> list[str]:
    layout = layout_of(profile)
    return [f"images: {layout.describe()}; both models read the same pixels"] if layout else []


def _explanation_sections(result: Any, output: int) -> Any:
    from engine.kinds.images.sections import explanation_sections

    return explanation_sections(result, output)


_UPLOAD_HELP = (
    "A ZIP holds one folder per class (cat/001.png); its images are read in memory, converted to grayscale or RGB "
    f"and resized to at most {IMAGE_SIDE}×{IMAGE_SIDE} pixels."
)


PIXEL_BOOSTING = ModelSpec(
    key="boosting", family="ml", label="Gradient-boosted trees on pixels (LightGBM)",
    build=_build_boosting, fit=_fit_boosting,
    explainers={"fast": _explainer("tree", "boosting"), "shared": _explainer("partition", "boosting")},
    raw=boosting_raw_output,
    why="boosted trees are the strongest classic model, but each split reads one pixel at a fixed place",
    name=lambda fitted: "LightGBM gradient-boosted trees on pixels",
    work=boosting_work(60, colsample=0.3, leaves=15),
)
PIXEL_LINEAR = ModelSpec(
    key="linear", family="ml", label="Linear model on pixels (most transparent)",
    build=_build_linear,
    explainers={"fast": _explainer("linear", "linear"), "shared": _explainer("partition", "linear")},
    raw=linear_raw_output,
    why="a linear model's weights form a readable template per class",
    name=lambda fitted: "Linear model on pixels",
    work=linear_work(200),
)
CNN = ModelSpec(
    key="cnn", family="dl", label="PyTorch CNN",
    build=_build_cnn, fit=_fit_cnn,
    explainers={"fast": _explainer("deep", "cnn"), "shared": _explainer("partition", "cnn")},
    raw=network_raw_output,
    why="convolutions share weights across positions, so a pattern is recognised wherever it appears",
    name=lambda fitted: fitted[-1].display_name,
    work=cnn_work(60),
)
_FAMILIES = {spec.key: spec for spec in (PIXEL_BOOSTING, PIXEL_LINEAR, CNN)}

IMAGES = register(DataKindSpec(
    key="images", label="image",
    matches=lambda profile: layout_of(profile) is not None,
    feature_columns=lambda profile: list(_layout(profile).columns),
    ml_models=(PIXEL_BOOSTING, PIXEL_LINEAR),
    dl_models=(CNN,),
    priority=20,
    notes=_notes,
    max_explained_rows=IMAGE_SHAP_ROWS,
    why=lambda profile: f"{_layout(profile).describe()}: pixel columns on a full square grid",
    advice_data_kind="images",
    advice_problem="vision",
    explanation_sections=_explanation_sections,
    feature_unit="pixel",
    column_charts=False,
    no_column_charts="the columns are pixels, so the maps above show where each model looks.",
    upload_help=_UPLOAD_HELP,
))
