"""The plain reference script: only the core work, timed, for the product to be measured against.

Reads the CSV, encodes it (numbers median-filled and standardised, dates as
days, other text one-hot), makes the same seeded split and picks the same
explained and background rows as ``engine.run.pipeline.compare``, then: a
LightGBM model with default settings, a 2-layer PyTorch MLP trained for a
fixed number of epochs, SHAP's tree explainer and deep explainer on the same
rows. No profile, no criteria, no scoring, no intervals, no checks.

Run as a plain script (from the product it imports only the date parser and
the split, so both sides read dates and split rows alike; the harness puts the
project root on PYTHONPATH):
``python benchmarks/reference.py SPEC.json`` where the spec names ``csv``,
``target``, ``task``, ``features``, ``seed``, ``shap_rows``, ``hidden``,
``epochs``, ``batch_size`` and ``background_rows``. Prints one JSON object of
seconds per stage.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

START = time.perf_counter()

import lightgbm  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from engine.io.dates import days_since_epoch, parse_dates  # noqa: E402
from engine.measure.evaluate import split_data  # noqa: E402
from engine.profile.profile import Task  # noqa: E402


def encode(frame: pd.DataFrame) -> np.ndarray:
    blocks = []
    for name in frame.columns:
        column = frame[name]
        numbers = pd.to_numeric(column, errors="coerce")
        if numbers.notna().mean() >= 0.9 or column.isna().all():
            blocks.append(numbers.to_numpy(float)[:, None])
            continue
        dates = parse_dates(column)
        if dates.notna().mean() >= 0.9:
            blocks.append(days_since_epoch(dates).to_numpy(float)[:, None])
            continue
        top = column.astype(str).value_counts().index[:30]
        blocks.append(pd.get_dummies(column.astype(str).where(column.astype(str).isin(top), "other")).to_numpy(float))
    X = np.hstack(blocks)
    X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    X = np.nan_to_num(X)
    scale = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)


def main(spec_path: str) -> None:
    spec = json.loads(open(spec_path, encoding="utf-8").read())
    stages: dict[str, float] = {"imports": time.perf_counter() - START}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = now - clock
        clock = now

    frame = pd.read_csv(spec["csv"])
    frame = frame[frame[spec["target"]].notna()]
    lap("load")
    X = encode(frame[spec["features"]]).astype(np.float32)
    task, seed = spec["task"], spec["seed"]
    if task == "regression":
        y = frame[spec["target"]].to_numpy(float)
        n_classes = 0
    else:
        classes, y = np.unique(frame[spec["target"]].astype(str).to_numpy(), return_inverse=True)
        n_classes = len(classes)
    split = split_data(pd.DataFrame(X), pd.Series(y), Task(task), seed)
    X_train, X_test = split.X_train.to_numpy(), split.X_test.to_numpy()
    y_train = split.y_train.to_numpy()
    rng = np.random.default_rng(seed)
    rows = X_test[np.sort(rng.choice(len(X_test), size=min(spec["shap_rows"], len(X_test)), replace=False))]
    background = X_train[np.sort(rng.choice(len(X_train), size=min(spec["background_rows"], len(X_train)), replace=False))]
    lap("encode_and_split")

    tree = lightgbm.LGBMRegressor(verbosity=-1) if task == "regression" else lightgbm.LGBMClassifier(verbosity=-1)
    tree.fit(X_train, y_train)
    lap("train_ml")

    torch.manual_seed(seed)
    outputs = 1 if task in ("regression", "binary") else n_classes
    layers: list[nn.Module] = []
    width = X.shape[1]
    for hidden in spec["hidden"]:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    net = nn.Sequential(*layers, nn.Linear(width, outputs))
    if task == "regression":
        target = torch.from_numpy(((y_train - y_train.mean()) / (y_train.std() or 1.0)).astype(np.float32))[:, None]
        loss_fn: nn.Module = nn.MSELoss()
    elif task == "binary":
        target, loss_fn = torch.from_numpy(y_train.astype(np.float32))[:, None], nn.BCEWithLogitsLoss()
    else:
        target, loss_fn = torch.from_numpy(y_train.astype(np.int64)), nn.CrossEntropyLoss()
    inputs = torch.from_numpy(X_train)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(spec["epochs"]):
        for batch in torch.randperm(len(inputs)).split(spec["batch_size"]):
            optimiser.zero_grad()
            loss_fn(net(inputs[batch]), target[batch]).backward()
            optimiser.step()
    net.eval()
    lap("train_dl")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shap.TreeExplainer(tree, model_output="raw").shap_values(rows, check_additivity=False)
        lap("explain_ml")
        shap.DeepExplainer(net, torch.from_numpy(background)).shap_values(torch.from_numpy(rows), check_additivity=False)
        lap("explain_dl")
    stages["total_in_process"] = time.perf_counter() - START
    sys.stdout.write(json.dumps({"stages": stages, "rows_explained": len(rows), "encoded_features": X.shape[1]}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
