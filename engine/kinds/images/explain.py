"""Pixel-level SHAP for image models, on the same images for both families.

Each image model family names its explainer per mode in the registry
(:mod:`engine.kinds.images`); this module holds them, keyed by method:

``"tree"`` / ``"linear"`` / ``"deep"`` (fast mode)
    Each model's own exact explainer: SHAP's tree explainer (path-dependent)
    on the pixels for the trees, its linear explainer for the linear model,
    and its deep explainer (DeepLIFT multipliers, additive on a network of
    ``nn`` modules) for the CNN against a few background training images.
``"partition"`` (shared mode)
    One SHAP definition for both: SHAP's Partition explainer (Owen values over
    a hierarchy of image regions) through one ``shap.maskers.Image`` masker
    whose masked pixels take the mean of the same background training images,
    each model wrapped as a function from image arrays to its raw outputs.

Every method explains raw outputs (log-odds or logits, or predictions for
regression), returns one value per pixel column (rows × columns × outputs,
columns in the frame's order) plus a :class:`engine.explain.explanation.PixelAttribution`
map, and measures additivity rather than assuming it.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
import shap
import torch
from torch import nn
from sklearn.pipeline import Pipeline

from engine.explain.explain import TABULAR_METHODS
from engine.explain.explanation import ModelExplanation, PixelAttribution, additivity_error
from engine.kinds.images.pixels import PixelLayout, pixel_layout
from engine.registry import RawOutputFn

__all__ = ["IMAGE_METHODS", "explain_images", "raw_output_function", "DEEP_BACKGROUND_IMAGES", "PARTITION_MAX_EVALS"]

#: Background images for the deep explainer: its cost is rows × outputs × background forward/backward passes.
DEEP_BACKGROUND_IMAGES = 10
#: Model calls per image for the Partition explainer (SHAP's default for images is 500 to a few thousand).
PARTITION_MAX_EVALS = 500
#: (image, background image) pairs per forward/backward pass of the deep explainer: bounded memory.
_DEEP_PAIRS_PER_PASS = 2_048

#: (fitted pipeline, layout, background images, explained images, seed, the family's raw output) -> (explainer name,
#: values, base, raw outputs); the raw output is :meth:`engine.registry.ModelSpec.raw_output` of the explained family.
ImageMethod = Callable[[Pipeline, PixelLayout, np.ndarray, np.ndarray, int, RawOutputFn], tuple[str, np.ndarray, Any, np.ndarray]]


def explain_images(
    pipeline: Pipeline,
    background: pd.DataFrame,
    rows: pd.DataFrame,
    output_labels: list[str],
    seed: int = 0,
    *,
    method: str,
    raw_output: RawOutputFn,
) -> ModelExplanation:
    """Explain ``pipeline`` on the images in ``rows`` (pixel columns in layout order) with ``method``.

    ``raw_output(model, X)`` is the family's raw output on encoded rows (its
    :meth:`engine.registry.ModelSpec.raw_output`): what a model-agnostic method explains.
    """
    start = time.perf_counter()
    layout = pixel_layout(rows.columns)
    if layout is None or list(layout.columns) != [str(c) for c in rows.columns]:
        raise ValueError("the explained rows are not pixel columns in layout order")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap's notices about output formats
        name, values, base, outputs = IMAGE_METHODS[method](
            pipeline, layout, layout.images(background), layout.images(rows), seed, raw_output)
    n = len(rows)
    values = np.asarray(values, dtype=float).reshape(n, len(layout.columns), -1)
    outputs = np.asarray(outputs, dtype=float).reshape(n, -1)
    base = np.broadcast_to(np.asarray(base, dtype=float).reshape(-1), (values.shape[2],)).copy()
    error = additivity_error(values, base, outputs)
    per_pixel = values.reshape(n, layout.side, layout.side, layout.channels, -1).sum(axis=3)
    return ModelExplanation(
        explainer=name, columns=list(layout.columns),
        output_names=output_labels if len(output_labels) == values.shape[2] else [f"output {i}" for i in range(values.shape[2])],
        values=values, base_values=base, outputs=outputs, additivity_max_error=error,
        seconds=time.perf_counter() - start,
        pixels=PixelAttribution(values=per_pixel, channels=layout.channels),
    )


def raw_output_function(pipeline: Pipeline, raw_output: RawOutputFn) -> Callable[[np.ndarray], np.ndarray]:
    """The pipeline's raw outputs (rows, outputs) as a function of flat pixel rows, read by the family's ``raw_output``."""
    prep, model = pipeline[:-1], pipeline[-1]

    def raw(X: np.ndarray) -> np.ndarray:
        out = np.asarray(raw_output(model, prep.transform(np.asarray(X, dtype=np.float64))), dtype=np.float64)
        return out.reshape(len(out), -1)

    return raw


def _flat(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1)


def _tabular(method: str) -> ImageMethod:
    """A tabular explainer on the pixel matrix (the pipeline's own preprocessing applied)."""

    def explain(pipeline: Pipeline, layout: PixelLayout, background: np.ndarray, rows: np.ndarray, seed: int,
                raw_output: RawOutputFn) -> tuple[str, np.ndarray, Any, np.ndarray]:
        prep = pipeline[:-1]
        X_background = np.asarray(prep.transform(_flat(background)), dtype=np.float64)
        X_rows = np.asarray(prep.transform(_flat(rows)), dtype=np.float64)
        return TABULAR_METHODS[method](pipeline[-1], X_background, X_rows, seed, 1)

    return explain


def _deep(pipeline: Pipeline, layout: PixelLayout, background: np.ndarray, rows: np.ndarray, seed: int,
          raw_output: RawOutputFn) -> tuple[str, np.ndarray, Any, np.ndarray]:
    """SHAP's deep explainer on the CNN's module, all (image, background image) pairs in a few batches.

    ``shap.DeepExplainer`` runs one forward/backward pass per image and output
    (3,000 passes for 300 images of 10 classes: minutes on a CPU). Its
    DeepLIFT handlers pair the first half of a batch with the second half, so
    every (image, background image) pair can go through at once: the same
    values (checked against ``shap_values`` in tests/test_images.py), one pass
    per output and chunk.
    """
    from engine.models.torch_base import torch_threads

    network = pipeline[-1]
    module = network.explain_module()
    chosen = np.sort(np.random.default_rng(seed).permutation(len(background))[:DEEP_BACKGROUND_IMAGES])
    reference = torch.from_numpy(network.prepare(_flat(background[chosen])))
    inputs = torch.from_numpy(network.prepare(_flat(rows)))
    explainer = shap.DeepExplainer(module, reference)  # public API: its expected value (the mean reference output)
    n_reference = len(reference)
    with torch.no_grad():
        outputs = module(inputs).numpy().astype(np.float64)
    n_outputs = outputs.shape[1]
    values = np.zeros(tuple(inputs.shape) + (n_outputs,))
    chunk = max(1, _DEEP_PAIRS_PER_PASS // n_reference)
    rules = DeepLiftRules(module)
    try:
        with torch_threads(network.n_threads):
            for start in range(0, len(inputs), chunk):
                x = inputs[start:start + chunk].repeat_interleave(n_reference, dim=0)
                ref = reference.repeat((len(x) // n_reference,) + (1,) * (reference.dim() - 1))
                for output in range(n_outputs):
                    joint = torch.cat((x, ref)).requires_grad_()
                    grad = torch.autograd.grad(module(joint)[:, output].sum(), joint)[0][len(x):]
                    phis = (grad * (x - ref)).reshape((-1, n_reference) + tuple(x.shape[1:])).mean(dim=1)
                    values[start:start + chunk, ..., output] = phis.detach().numpy()
    finally:
        rules.remove()
    values = values.transpose(0, 2, 3, 1, 4).reshape(len(rows), -1, n_outputs)
    return "deep", values, explainer.expected_value, outputs


class DeepLiftRules:
    """DeepLIFT's rescale rules as hooks on a module's layers: the rules ``shap.DeepExplainer`` applies, written here.

    Each batch holds inputs in its first half and their references in the second. A ReLU passes back
    ``Δout / Δin`` times the gradient (the gradient itself where ``|Δin| < 1e-6``); a MaxPool2d passes the
    pooled differences back to the winning positions, divided by ``Δin``; linear layers (convolutions, linear,
    flatten, dropout in evaluation) keep their gradient. Any other layer raises ValueError rather than give
    values that do not add up. Written out because shap keeps these rules in private modules.
    """

    _LINEAR = (nn.Conv1d, nn.Conv2d, nn.Linear, nn.Flatten, nn.Dropout, nn.Dropout2d, nn.Identity,
               nn.AvgPool2d, nn.BatchNorm1d, nn.BatchNorm2d)

    def __init__(self, module: nn.Module) -> None:
        self._saved: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}
        self._handles: list[Any] = []
        for layer in module.modules():
            if list(layer.children()) or isinstance(layer, self._LINEAR):
                continue
            if isinstance(layer, nn.ReLU):
                backward = self._rescale
            elif isinstance(layer, nn.MaxPool2d):
                backward = self._max_pool
            else:
                self.remove()
                raise ValueError(f"no DeepLIFT rule for {type(layer).__name__}")
            self._handles += [layer.register_forward_hook(self._keep), layer.register_full_backward_hook(backward)]

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles, self._saved = [], {}

    def _keep(self, layer: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        self._saved[layer] = (inputs[0].detach(), output.detach())

    def _deltas(self, layer: nn.Module) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        x, y = self._saved[layer]
        half = len(x) // 2
        return x[:half] - x[half:], y[:half] - y[half:], [2] + [1] * (x.dim() - 1)

    def _rescale(self, layer: nn.Module, grad_input: tuple[Any, ...], grad_output: tuple[Any, ...]) -> tuple[Any, ...]:
        delta_in, delta_out, twice = self._deltas(layer)
        delta_in = delta_in.repeat(twice)
        multiplier = grad_output[0] * (delta_out.repeat(twice) / delta_in)
        return (torch.where(delta_in.abs() < 1e-6, grad_input[0], multiplier),) + tuple(grad_input[1:])

    def _max_pool(self, layer: nn.Module, grad_input: tuple[Any, ...], grad_output: tuple[Any, ...]) -> tuple[Any, ...]:
        import torch.nn.functional as F

        x, y = self._saved[layer]
        delta_in, _, twice = self._deltas(layer)
        outputs, references = torch.chunk(y, 2)
        cross_max = torch.max(outputs, references)
        differences = torch.cat([cross_max - references, outputs - cross_max], 0)
        with torch.no_grad():
            _, indices = F.max_pool2d(x, layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                                      layer.ceil_mode, True)
            unpooled = F.max_unpool2d(grad_output[0] * differences, indices, layer.kernel_size, layer.stride,
                                      layer.padding, list(x.shape))
        at_input, at_reference = torch.chunk(unpooled, 2)
        rescaled = torch.where(delta_in.abs() < 1e-7, torch.zeros_like(delta_in), (at_input + at_reference) / delta_in)
        return (rescaled.repeat(twice),) + tuple(grad_input[1:])


def _partition(pipeline: Pipeline, layout: PixelLayout, background: np.ndarray, rows: np.ndarray, seed: int,
               raw_output: RawOutputFn) -> tuple[str, np.ndarray, Any, np.ndarray]:
    """SHAP's Partition explainer over an Image masker filled with the background images' mean."""
    raw = raw_output_function(pipeline, raw_output)
    fill = background.mean(axis=0) if len(background) else np.zeros(rows.shape[1:])
    masker = shap.maskers.Image(fill, rows.shape[1:])

    def model(images: np.ndarray) -> np.ndarray:
        return raw(_flat(np.asarray(images, dtype=np.float64)))

    explainer = shap.PartitionExplainer(model, masker)
    explanation = explainer(rows, max_evals=PARTITION_MAX_EVALS, batch_size=500, silent=True)
    values = np.asarray(explanation.values).reshape(len(rows), len(layout.columns), -1)
    base = np.asarray(explanation.base_values, dtype=np.float64).reshape(len(rows), -1)[0] if len(rows) else np.zeros(values.shape[2])
    return "partition", values, base, raw(_flat(rows))


#: The image explainers by method name; the registry says which family uses which in each mode.
IMAGE_METHODS: dict[str, ImageMethod] = {
    "tree": _tabular("tree"),
    "linear": _tabular("linear"),
    "deep": _deep,
    "partition": _partition,
}
