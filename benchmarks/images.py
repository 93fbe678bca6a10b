"""Image budgets (issue 9): ``compare`` on each image sample, end to end, against reference models.

``python -m benchmarks.images`` (or ``python -m benchmarks --images``). Each
sample runs as ``python -m engine compare DATA --shap-rows 20 --json`` in a
child process (time from start to exit, peak RSS); the references train on the
same split of the same pixels: a default ``LGBMClassifier`` and scikit-learn's
default ``MLPClassifier`` (pixels scaled to 0–1, as the CNN sees them).
Exit status 1 when the 5,000-digit budget is missed.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks import budgets as b
from benchmarks.harness import PYTHON, ROOT, run_child

SAMPLES = ("mnist_digits.csv.gz", "digit_images.zip")
BUDGETED = "mnist_digits.csv.gz"


def reference_scores(path: Path, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Accuracy and training seconds of a default LightGBM and a default sklearn MLP on the product's split."""
    import lightgbm
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score
    from sklearn.neural_network import MLPClassifier

    from engine.io.dataset import load_dataset_path
    from engine.measure.evaluate import split_data
    from engine.run.pipeline import advise
    from engine.registry import kind_for

    frame = load_dataset_path(path).frame
    profile = advise(frame).profile
    columns = kind_for(profile).feature_columns(profile)
    split = split_data(frame[columns], frame[profile.target].astype(str), profile.task, seed)
    scale = max(float(split.X_train.to_numpy().max()), 1.0)
    scores = {}
    for name, model, X_train, X_test in (
        ("default LightGBM", lightgbm.LGBMClassifier(random_state=seed, verbosity=-1, n_jobs=1), split.X_train, split.X_test),
        ("sklearn MLP", MLPClassifier(random_state=seed), split.X_train / scale, split.X_test / scale),
    ):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train.to_numpy(), split.y_train.to_numpy())
        seconds = time.perf_counter() - start
        scores[name] = (float(accuracy_score(split.y_test, model.predict(X_test.to_numpy()))), seconds)
    return scores


def run() -> tuple[str, bool]:
    """The table and whether every image budget was met."""
    lines = [f"Images: compare --shap-rows {b.IMAGES_SHAP_ROWS} (fast explainers), end to end; references on the same split",
             "| sample | end to end | peak RSS | ML accuracy (train s) | DL accuracy (train s) | explain ML / DL s "
             "| default LightGBM (s) | sklearn MLP (s) |", "|---|---|---|---|---|---|---|---|"]
    met = True
    for name in SAMPLES:
        path = ROOT / "sample_data" / name
        child = run_child([PYTHON, "-m", "engine", "compare", str(path), "--shap-rows", str(b.IMAGES_SHAP_ROWS), "--json"],
                          timeout=b.CHILD_TIMEOUT_SECONDS)
        if not child.ok:
            lines.append(f"| {name} | failed: {child.stderr.strip().splitlines()[-1:]} |")
            met = False
            continue
        payload: dict[str, Any] = child.json()
        ml, dl = payload["models"]["ml"], payload["models"]["dl"]
        stages = payload["stage_seconds"]
        refs = reference_scores(path)
        lines.append(
            f"| {name} | {child.seconds:.1f} s | {child.peak_rss_bytes / 1e9:.2f} GB "
            f"| {ml['metrics']['accuracy']:.3f} ({ml['train_seconds']:.1f}) | {dl['metrics']['accuracy']:.3f} ({dl['train_seconds']:.1f}) "
            f"| {stages['explain_ml']:.1f} / {stages['explain_dl']:.1f} "
            + " ".join(f"| {acc:.3f} ({sec:.1f})" for acc, sec in refs.values()) + " |"
        )
        if name == BUDGETED:
            time_ok = child.seconds <= b.IMAGES_COMPARE_SECONDS
            rss_ok = child.peak_rss_bytes <= b.IMAGES_PEAK_RSS_BYTES
            met = met and time_ok and rss_ok
            beats = all(dl["metrics"]["accuracy"] > acc for acc, _ in refs.values())
            lines.append(f"budget: {name} ≤ {b.IMAGES_COMPARE_SECONDS:.0f} s: {'met' if time_ok else 'MISSED'}; "
                         f"peak RSS ≤ {b.IMAGES_PEAK_RSS_BYTES / 1e9:.0f} GB: {'met' if rss_ok else 'MISSED'}; "
                         f"goal: the CNN beats both references: {'yes' if beats else 'no'}")
    return "\n".join(lines), met


def main() -> int:
    table, met = run()
    print(table)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
