"""Device check: every registered network trains on CUDA when a GPU is present.

Run on a machine with a GPU: ``python -m benchmarks.cuda_check``. For one
bundled sample of each data kind it runs ``compare`` (the networks choose
``device="auto"``) and checks that the deep-learning model's notes say it
trained on the CUDA device; then it times the tabular MLP on 100k x 30 rows
on the CPU and on the GPU. Exits 1 when a GPU is present and a network did
not use it; prints the table either way. Nothing here is needed on CPU-only
machines (CI never runs it).
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import torch

from engine import advise, compare, kind_for, load_dataset_path
from engine.io import samples
from engine.models.dl import TorchMLPClassifier


def _one_sample_per_kind() -> dict[str, str]:
    chosen: dict[str, str] = {}
    for name in samples.sample_names():
        kind = kind_for(advise(samples.load_sample(name)).profile).key
        chosen.setdefault(kind, name)
    return chosen


def main() -> int:
    cuda = torch.cuda.is_available()
    print(f"torch {torch.__version__}; CUDA available: {cuda}" + (f" ({torch.cuda.get_device_name(0)})" if cuda else ""))
    failures = 0
    print(f"{'kind':<10} {'sample':<28} {'DL model':<34} {'device':<6} {'DL train s':>10} {'ML':>7} {'DL':>7}")
    for kind, name in _one_sample_per_kind().items():
        result = compare(load_dataset_path(samples.SAMPLE_DATA / name), shap_rows=20, max_seconds=60)
        note = next((n for n in result.dl.notes if n.startswith("trained ")), "")
        device = "cuda" if "on the CUDA" in note else "cpu" if "on the CPU" in note else "?"
        metric = result.verdict.metric
        print(f"{kind:<10} {name:<28} {result.dl.name[:34]:<34} {device:<6} {result.dl.train_seconds:>10.2f} "
              f"{result.ml.metrics[metric]:>7.3f} {result.dl.metrics[metric]:>7.3f}")
        if cuda and device != "cuda":
            failures += 1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 30)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    for device in ["cpu"] + (["cuda"] if cuda else []):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            net = TorchMLPClassifier(max_epochs=10, patience=100, batch_size=2048, device=device).fit(X, y)
            times.append(time.perf_counter() - start)
        print(f"MLP 100k x 30, 10 epochs on {device}: median {statistics.median(times):.2f} s, "
              f"train accuracy {net.score(X, y):.3f}, fitted on {net.device_}")
        if net.device_ != device:
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
