"""Images: pixel-layout detection, the in-memory ZIP reader, both families on images, pixel SHAP."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from engine.kinds.images import pixels as img
from engine.io.data import DataError
from engine.io.dataset import Dataset, load_dataset_bytes
from engine.profile.profile import ColumnKind, profile_dataset
from engine.registry import kind_for
from tests.conftest import SAMPLE_DATA
from tests.test_cli import assert_usage_error, run_cli  # noqa: F401  (a fixture: the CLI in this process)


# --- synthetic images: a bright square whose place decides the label ---------------------------


def blob_images(n: int = 160, side: int = 8, seed: int = 0, channels: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, side, side, channels) in 0..1 with noise; label 1 when the top-left 3×3 region is bright."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 0.3, size=(n, side, side, channels))
    labels = np.arange(n) % 2
    # smooth background blobs elsewhere, so neighbouring pixels correlate in every image
    for i in range(n):
        r, c = rng.integers(3, side - 2, size=2)
        images[i, r - 1:r + 2, c - 1:c + 2] += rng.uniform(0.2, 0.5)
    images[labels == 1, :3, :3] += 0.6
    return np.clip(images, 0, 1), labels


def pixel_frame(names: list[str], scale: float = 255.0, side: int = 8, channels: int = 1, n: int = 160) -> pd.DataFrame:
    images, labels = blob_images(n, side, channels=channels)
    values = images.reshape(n, -1) * scale
    if scale > 1:
        values = values.round()
    frame = pd.DataFrame(values, columns=names)
    frame["label"] = np.where(labels == 1, "bright", "dark")
    return frame


SCHEMES = {
    "pixel0": [f"pixel{i}" for i in range(64)],
    "pixel1": [f"pixel{i}" for i in range(1, 65)],
    "px_0": [f"px_{i}" for i in range(64)],
    "p0": [f"p{i}" for i in range(64)],
    "0": [str(i) for i in range(64)],
    "pixel_r_c": [f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
}


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("scale", [1.0, 16.0, 255.0])
def test_each_pixel_naming_scheme_and_range_is_an_image(scheme: str, scale: float) -> None:
    frame = pixel_frame(SCHEMES[scheme], scale)
    profile = profile_dataset(frame)
    assert profile.target == "label"
    assert profile.kind_count(ColumnKind.IMAGE_PIXEL) == 64
    kind = kind_for(profile)
    assert kind.key == "images"
    assert kind.feature_columns(profile) == SCHEMES[scheme]  # row-major order


def test_rgb_channel_last_pixels_are_one_image_of_three_channels() -> None:
    names = [f"pixel{i}" for i in range(8 * 8 * 3)]
    layout = img.detect_pixel_columns(pixel_frame(names, channels=3))
    assert layout is not None and (layout.side, layout.channels) == (8, 3)


def test_pixel_r_c_order_is_row_major_whatever_the_column_order() -> None:
    names = [f"pixel_{r}_{c}" for c in range(8) for r in range(8)]  # column-major in the file
    layout = img.pixel_layout(names)
    assert layout is not None and layout.columns[:3] == ("pixel_0_0", "pixel_0_1", "pixel_0_2")


def test_wide_sensor_and_survey_tables_are_not_images() -> None:
    rng = np.random.default_rng(1)
    n = 300
    sensors = pd.DataFrame(rng.normal(20, 5, size=(n, 64)), columns=[f"s{i}" for i in range(64)])
    sensors["label"] = rng.integers(0, 2, n)
    unbounded_p = sensors.rename(columns={f"s{i}": f"p{i}" for i in range(64)})  # pixel names, sensor values
    survey = pd.DataFrame(rng.integers(1, 6, size=(n, 100)), columns=[str(i) for i in range(100)])  # 10×10, 1..5
    survey["label"] = rng.integers(0, 2, n)
    correlated = survey.copy()  # answers that share one general factor, but no neighbourhood
    correlated[[str(i) for i in range(100)]] = np.clip(
        rng.integers(1, 6, size=(n, 1)) + rng.integers(-1, 2, size=(n, 100)), 1, 5)
    noise = pd.DataFrame(rng.integers(0, 256, size=(n, 64)), columns=[f"pixel{i}" for i in range(64)])  # no neighbourhood
    noise["label"] = rng.integers(0, 2, n)
    for frame in (sensors, unbounded_p, survey, correlated, noise):
        profile = profile_dataset(frame, "label")
        assert profile.kind_count(ColumnKind.IMAGE_PIXEL) == 0
        assert kind_for(profile).key == "tabular"


def test_a_chosen_target_among_the_pixels_is_not_a_pixel() -> None:
    frame = pixel_frame(SCHEMES["pixel0"]).drop(columns="label")
    frame["pixel64"] = np.arange(len(frame)) % 2  # 65 indexed columns: not a square once the target is out
    assert profile_dataset(frame, "pixel64").kind_count(ColumnKind.IMAGE_PIXEL) == 64


# --- image-folder ZIPs ------------------------------------------------------------------------


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def image_zip(extra: dict[str, bytes] | None = None, classes: tuple[str, ...] = ("bright", "dark"), per_class: int = 30,
              side: int = 8, root: str = "") -> bytes:
    images, labels = blob_images(2 * per_class, side)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (image, label) in enumerate(zip(images, labels)):
            name = classes[0] if label == 1 or len(classes) == 1 else classes[1]
            archive.writestr(f"{root}{name}/{i:03d}.png", png(image[:, :, 0] * 255))
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_zip_of_class_folders_becomes_a_pixel_table() -> None:
    dataset = load_dataset_bytes("imgs.zip", image_zip(root="top/"))
    frame = dataset.frame
    assert frame.shape == (60, 65) and sorted(frame["label"].unique()) == ["bright", "dark"]
    assert frame["pixel0"].dtype == np.uint8
    assert "resized to 8×8" in dataset.notes[0]
    assert kind_for(profile_dataset(frame)).key == "images"


def test_large_images_are_resized_to_the_stated_side_and_colour_is_kept() -> None:
    rng = np.random.default_rng(0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(6):
            colour = rng.integers(0, 255, size=(60, 90, 3))
            archive.writestr(f"{'ab'[i % 2]}/{i}.png", png(colour))
    frame = load_dataset_bytes("c.zip", out.getvalue()).frame
    assert frame.shape[1] - 1 == img.IMAGE_SIDE * img.IMAGE_SIDE * 3


def test_hostile_entries_are_skipped_and_counted() -> None:
    truncated = png(np.full((8, 8), 200))[:40]
    raw = image_zip({
        "../escape/x.png": png(np.zeros((8, 8))),
        "/abs/y.png": png(np.zeros((8, 8))),
        "bright/readme.txt": b"not an image",
        "dark/broken.png": truncated,
        "loose.png": png(np.zeros((8, 8))),
        "__MACOSX/bright/._000.png": b"\0",
    })
    dataset = load_dataset_bytes("h.zip", raw)
    assert len(dataset.frame) == 60
    notes = " | ".join(dataset.notes)
    for expected in ("skipped 2 entries with unsafe paths", "skipped 1 files that are not images",
                     "skipped 1 images that could not be decoded", "skipped 1 images outside a class folder"):
        assert expected in notes, notes


def test_a_bomb_sized_entry_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = image_zip({"bright/bomb.png": b"\0" * 3_000_000})  # deflates to a few kB
    monkeypatch.setattr(img, "MAX_ENTRY_BYTES", 1_000_000)
    with pytest.raises(DataError, match="over 1 MB uncompressed"):
        load_dataset_bytes("b.zip", raw)
    monkeypatch.setattr(img, "MAX_ENTRY_BYTES", 32_000_000)
    monkeypatch.setattr(img, "MAX_UNCOMPRESSED_BYTES", 2_000_000)
    with pytest.raises(DataError, match="ZIP bomb"):
        load_dataset_bytes("b.zip", raw)


def huge_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing width × height (the pixel data is never reached)."""
    data = png(np.zeros((2, 2)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return data[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


@pytest.mark.parametrize(("width", "shown"), [(20_000, "400,000,000 pixels"), (5_000, "5,000 × 5,000 pixels")])
def test_a_huge_image_is_refused_with_its_size(width: int, shown: str) -> None:
    with pytest.raises(DataError, match=f"is {shown}; the limit is 16,777,216 pixels"):
        load_dataset_bytes("big.zip", image_zip({"dark/huge.png": huge_png(width, width)}))


@pytest.mark.parametrize(("raw", "message"), [
    (lambda: image_zip(classes=("only",)), "one class folder"),
    (lambda: image_zip({"third/one.png": png(np.zeros((8, 8)))}), "'third' of the ZIP archive has 1 image"),
    (lambda: image_zip()[:200], "could not be read"),
    (lambda: _zip_of({"a.md": b"x", "b/c.json": b"{}"}), "no readable image"),  # (tables alone: engine.io.zipped)
])
def test_unusable_archives_are_one_clear_error(raw, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_dataset_bytes("x.zip", raw())


def _zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_the_cli_refuses_a_hostile_archive_with_one_line(tmp_path, run_cli) -> None:
    path = tmp_path / "huge.zip"
    path.write_bytes(image_zip({"dark/huge.png": huge_png(20_000, 20_000)}))
    assert_usage_error(run_cli("compare", str(path), "--json"))


# --- both families and their pixel maps -----------------------------------------------------------


@pytest.fixture(scope="module")
def blob_run():
    """Both families trained on 8×8 blob images (fast mode), with both explained on 24 images."""
    from engine.run.pipeline import compare

    images, labels = blob_images(400, 8, seed=3)
    frame = pd.DataFrame((images.reshape(400, -1) * 255).round(), columns=[f"pixel{i}" for i in range(64)])
    frame["label"] = np.where(labels == 1, "bright", "dark")
    return compare(Dataset.from_frame(frame), shap_rows=24, max_seconds=20, seed=0)


def test_both_families_train_on_images_and_beat_the_baseline(blob_run) -> None:
    assert blob_run.dataset.kind == "images"
    assert blob_run.dl.name.startswith("PyTorch CNN")
    for result in (blob_run.ml, blob_run.dl):
        assert result.metrics["accuracy"] >= 0.9 > result.baseline + 0.3


@pytest.mark.parametrize("family", ["ml", "dl"])
def test_pixel_maps_have_the_image_shape_and_add_up(blob_run, family: str) -> None:
    explanation = blob_run.explanations[family]
    assert explanation.explainer == {"ml": "tree", "dl": "deep"}[family]
    assert explanation.pixels.values.shape == (24, 8, 8, 1)
    assert explanation.values.shape == (24, 64, 1)
    np.testing.assert_allclose(explanation.pixels.values.reshape(24, 64, 1), explanation.values)
    np.testing.assert_allclose(explanation.base_values + explanation.values.sum(axis=1), explanation.outputs, atol=1e-4)
    # the outputs are the models' own raw outputs on those rows
    from engine.kinds.images import CNN, PIXEL_BOOSTING
    from engine.kinds.images.explain import raw_output_function

    spec = {"ml": PIXEL_BOOSTING, "dl": CNN}[family]  # the defaults compare trained (the explainer names above)
    raw = raw_output_function(blob_run.models[family], spec.raw_output)(blob_run.explained_rows.to_numpy(float))
    np.testing.assert_allclose(raw, explanation.outputs, rtol=1e-5, atol=1e-5)
    payload = explanation.to_dict()
    assert payload["pixels"]["side"] == 8 and len(payload["pixels"]["mean_abs"]) == 1
    assert len(payload["global_importance"]) == 64


@pytest.mark.parametrize("family", ["ml", "dl"])
def test_both_maps_concentrate_on_the_deciding_region(blob_run, family: str) -> None:
    mean_map = blob_run.explanations[family].pixels.mean_abs_map()[:, :, 0]
    region = mean_map[:3, :3].sum() / mean_map.sum()
    assert region > 0.5, f"{family}: only {region:.0%} of |SHAP| in the 9 deciding pixels (14% of the image)"


def test_the_batched_deep_explainer_equals_shaps_own(blob_run) -> None:
    import shap
    import torch

    from engine.kinds.images.explain import DEEP_BACKGROUND_IMAGES

    network = blob_run.models["dl"][-1]
    background = blob_run.background_rows.to_numpy(float)
    chosen = np.sort(np.random.default_rng(blob_run.seed).permutation(len(background))[:DEEP_BACKGROUND_IMAGES])
    reference = torch.from_numpy(network._prepare(background[chosen], reset=False))
    rows = torch.from_numpy(network._prepare(blob_run.explained_rows.to_numpy(float)[:3], reset=False))
    expected = np.asarray(shap.DeepExplainer(network.explain_module(), reference).shap_values(rows, check_additivity=False))
    expected = expected.reshape(3, 1, 8, 8, -1).transpose(0, 2, 3, 1, 4).reshape(3, 64, -1)
    np.testing.assert_allclose(blob_run.explanations["dl"].values[:3], expected, atol=1e-6)


def test_the_shared_mode_uses_one_partition_masker_and_adds_up(blob_run) -> None:
    from engine.run.pipeline import explain_again

    shared = explain_again(blob_run, "shared")
    for family in ("ml", "dl"):
        explanation = shared.explanations[family]
        assert explanation.explainer == "partition"
        assert explanation.pixels.values.shape == (24, 8, 8, 1)
        np.testing.assert_allclose(explanation.base_values + explanation.values.sum(axis=1), explanation.outputs,
                                   atol=1e-4)
        mean_map = explanation.pixels.mean_abs_map()[:, :, 0]
        assert mean_map[:3, :3].sum() / mean_map.sum() > 0.4
    # one SHAP definition: the same base image, so both bases are each model's output on it
    assert shared.agreement.comparable


def test_the_linear_family_is_explained_per_pixel_too() -> None:
    from engine.run.pipeline import compare

    images, labels = blob_images(200, 8, seed=5)
    frame = pd.DataFrame(images.reshape(200, -1), columns=[f"px_{i}" for i in range(64)])
    frame["label"] = labels
    result = compare(frame, ml_kind="linear", shap_rows=10, max_seconds=5)
    explanation = result.explanations["ml"]
    assert explanation.explainer == "linear" and explanation.pixels.values.shape == (10, 8, 8, 1)
    assert explanation.additivity.passed


def test_a_cnn_is_made_of_nn_modules_only() -> None:
    from torch import nn

    from engine.kinds.images.cnn import build_cnn

    module = build_cnn(3, 28, 10)
    kinds = {type(m) for m in module.modules()} - {nn.Sequential}
    assert kinds <= {nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Linear, nn.Dropout}


def test_augmentation_shifts_images_without_changing_them_otherwise() -> None:
    import torch

    from engine.kinds.images.cnn import TorchCNNClassifier

    network = TorchCNNClassifier(side=6, shift=1)
    batch = torch.zeros(50, 1, 6, 6)
    batch[:, 0, 2, 3] = 1.0
    shifted = network._augment(batch, torch.Generator().manual_seed(0))
    assert shifted.shape == batch.shape and torch.all(shifted.sum(dim=(1, 2, 3)) == 1.0)
    positions = {tuple(torch.nonzero(image[0])[0].tolist()) for image in shifted}
    assert len(positions) > 1 and all(abs(r - 2) <= 1 and abs(c - 3) <= 1 for r, c in positions)


# --- the samples through the command line -----------------------------------------------------------


@pytest.mark.parametrize("sample", ["mnist_digits.csv.gz", "digit_images.zip"])
def test_recommend_on_each_image_sample_says_images_and_favours_deep_learning(sample: str, run_cli) -> None:
    result = run_cli("recommend", str(SAMPLE_DATA / sample), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    structure = next(c for c in payload["criteria"] if c["name"] == "data_structure")
    assert structure["value"] == "unstructured (images)" and structure["favours"] == "dl"
    assert "image_pixel" in payload["profile"]["column_kinds"].values()


def test_compare_on_the_zip_sample_prints_both_pixel_maps(run_cli) -> None:
    result = run_cli("compare", str(SAMPLE_DATA / "digit_images.zip"), "--max-seconds", "4", "--shap-rows", "8", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["recommendation"]["profile"]["task"] == "multiclass"
    for family in ("ml", "dl"):
        pixels = payload["explanations"][family]["pixels"]
        assert pixels["side"] == 16 and len(pixels["mean_abs"]) == 10
        first = next(iter(pixels["mean_abs"].values()))
        assert len(first) == 16 and len(first[0]) == 16
        assert len(payload["explanations"][family]["global_importance"]) == 256
    assert payload["models"]["dl"]["name"].startswith("PyTorch CNN")


def test_the_cnn_trains_long_enough_for_small_digit_images() -> None:
    """The fair fight (benchmarks/corpus/fair_fight.py): at 15 epochs the CNN stopped at its cap on the 8×8 digits
    and lost to LightGBM (0.925 against 0.967); the product's CNN, as the registry builds it, must not be under-trained."""
    from sklearn.datasets import load_digits

    from engine.measure.evaluate import split_data

    digits = load_digits()
    frame = pd.DataFrame(digits.data, columns=[f"pixel{i}" for i in range(64)])
    frame["digit"] = digits.target.astype(str)
    profile = profile_dataset(frame, "digit")
    kind = kind_for(profile)
    assert kind.key == "images"
    split = split_data(frame[kind.feature_columns(profile)], frame["digit"], profile.task, 0)
    model = kind.dl_model().build(profile, 0, 120.0)
    model.fit(split.X_train, split.y_train)
    assert model[-1].stopped_by_ != "time_budget"
    # LightGBM's 0.967 in the fair fight, less one test image (1/360) of tolerance: the same seed gives 0.975 on one
    # machine and 0.972 on another (an AMD EPYC with AVX-512), whose float rounding takes training another path.
    assert model.score(split.X_test, split.y_test) >= 0.967 - 1 / 360
