"""Training one family on more rows than one process should take: data-parallel on Ray Train workers.

On a Ray cluster (a comparison's job runs in a Ray task, or this process called
``ray.init``) the training rows are capped by ``ADVISOR_MAX_TRAIN_ROWS``
(engine.common.limits.max_train_rows, 10,000,000 by default) instead of
engine.common.limits.MAX_COMPARE_ROWS. Training sets above MAX_COMPARE_ROWS are
trained here, split into one shard per worker (stratified by class), each
shard put once into Ray's object store:

- the boosted trees with Ray Train's ``LightGBMTrainer``: LightGBM's own
  data-parallel mode (``tree_learner="data"``), each worker fitting the same
  ``LGBMClassifier``/``LGBMRegressor`` on its shard with the network
  parameters Ray Train sets up; the first worker's model is the result;
- the network with Ray Train's ``TorchTrainer``: the project's own training
  loop on each shard, the module wrapped in DistributedDataParallel (CPU
  workers, or GPUs when the cluster has them), the validation loss averaged
  over the workers so they stop early at the same epoch.

The preprocessing (imputation, scaling, one-hot) is fitted once, on every
training row, before the shards are made; the fitted pipeline that comes back
is the same type as an in-process one, so scoring, SHAP (on its sample of
test rows) and the record are unchanged. Families without a data-parallel
trainer here (the linear model) train on all rows in the job's own process.

The clock's safety net does not stop a data-parallel LightGBM fit between
rounds (the workers would stop at different rounds and wait on each other):
its planned rounds bound it. The network's workers agree on the clock's stop.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TRAIN_WORKERS_ENV", "TRAINERS", "Scale", "on_cluster", "scale_for", "trains_all_rows", "fit_data_parallel"]

#: Workers (processes, one CPU each, or one GPU each when the cluster has GPUs) per data-parallel fit.
TRAIN_WORKERS_ENV = "ADVISOR_RAY_TRAIN_WORKERS"
DEFAULT_TRAIN_WORKERS = 2
#: The model families trained data-parallel, and the Ray Train trainer that does it.
TRAINERS = {"boosting": "LightGBMTrainer (LightGBM data-parallel)", "mlp": "TorchTrainer (PyTorch DDP)"}
#: Families cheap enough to train on every row in the job's own process.
ONE_PROCESS = frozenset({"linear"})
# One data-parallel fit at a time per process: the two sides' trainers would otherwise each hold half the
# cluster's workers and wait on the other's.
_ONE_TRAINER = threading.Lock()


@dataclass(frozen=True)
class Scale:
    """How a data-parallel fit is spread: workers, and whether each has a GPU."""

    workers: int
    use_gpu: bool


def on_cluster() -> bool:
    """Whether this process is connected to Ray (a Ray task, or a process that called ``ray.init``)."""
    ray = sys.modules.get("ray")
    return bool(ray is not None and ray.is_initialized())


def trains_all_rows(spec_keys: list[str]) -> bool:
    """Whether every family a side may use can train above the in-process cap (data-parallel or cheaply)."""
    return all(key in TRAINERS or key in ONE_PROCESS for key in spec_keys)


def train_workers(environ: Any = os.environ) -> int:
    """Workers from ADVISOR_RAY_TRAIN_WORKERS (default 2); no cluster asked (raises ValueError)."""
    text = environ.get(TRAIN_WORKERS_ENV, "").strip()
    if text and (not text.isdigit() or int(text) < 1):
        raise ValueError(f"{TRAIN_WORKERS_ENV} must be a positive whole number of workers, not {text!r}")
    return int(text) if text else DEFAULT_TRAIN_WORKERS


def scale_for(environ: Any = os.environ) -> Scale:
    """Workers from ADVISOR_RAY_TRAIN_WORKERS (default 2), GPUs when the cluster has any (raises ValueError)."""
    import ray

    workers = train_workers(environ)
    return Scale(workers=workers, use_gpu=ray.cluster_resources().get("GPU", 0) >= workers)


def fit_data_parallel(spec_key: str, model: Any, X: pd.DataFrame, y: pd.Series, scale: Scale, seed: int,
                      max_seconds: float) -> tuple[Any, list[str]]:
    """``model`` (an unfitted preprocessing + estimator pipeline, its work planned) fitted on all rows, data-parallel.

    Returns the fitted pipeline (the first worker's estimator after the fitted
    preprocessing) and the notes for the record.
    """
    import ray
    from sklearn.base import clone, is_classifier

    prep, estimator = model[0], model[-1]
    classification = is_classifier(estimator)
    matrix = np.asarray(prep.fit_transform(X, y), dtype=np.float32)
    target = y.to_numpy()
    shards = _shards(target, scale.workers, seed, classification)
    if classification and any(len(np.unique(target[rows])) < len(np.unique(target)) for rows in shards):
        raise ValueError(f"a class has fewer rows than the {scale.workers} workers: every shard must hold every class")
    refs = [(ray.put(np.ascontiguousarray(matrix[rows])), ray.put(target[rows])) for rows in shards]
    mailbox = ray.remote(num_cpus=0)(_Mailbox).remote()
    config = {"shards": refs, "estimator": clone(estimator), "mailbox": mailbox, "seed": seed,
              "max_seconds": max_seconds, "use_gpu": scale.use_gpu}
    if spec_key == "mlp":
        from engine.models.torch_base import auto_batch_size, auto_learning_rate

        params = estimator.get_params()
        # Each worker's batch is its share of the batch one process would use on all rows, so an epoch takes
        # as many optimiser steps as it would there.
        config["batch_size"] = max(1, (params["batch_size"] or auto_batch_size(len(target))) // scale.workers)
        config["learning_rate"] = params["learning_rate"] or auto_learning_rate(len(target))
        config["target_stats"] = None if classification else (float(target.mean()), float(target.std()) or 1.0)
    with _ONE_TRAINER, tempfile.TemporaryDirectory(prefix="advisor-ray-train-") as storage:
        # Nothing is checkpointed (the model comes back through the mailbox); Ray Train's run folder goes with it.
        _trainer(spec_key, config, scale, storage).fit()
    fitted = ray.get(mailbox.take.remote())
    ray.kill(mailbox)
    del refs  # the shards leave the object store once no reference holds them
    model.steps[-1] = (model.steps[-1][0], fitted)
    device = "GPU" if scale.use_gpu else "CPU"
    notes = [f"trained on all {len(target):,} training rows, data-parallel on {scale.workers} Ray workers "
             f"({device}; {TRAINERS[spec_key]}), shards of {min(len(s) for s in shards):,}-{max(len(s) for s in shards):,} rows"]
    if spec_key == "mlp":
        notes.insert(0, fitted.training_summary())
    return model, notes


def _shards(target: np.ndarray, workers: int, seed: int, classification: bool) -> list[np.ndarray]:
    """Row positions per worker: a seeded shuffle dealt round-robin, within each class for a classifier."""
    order = np.random.default_rng(seed).permutation(len(target))
    if classification:
        _, codes = np.unique(target[order].astype(str), return_inverse=True)
        order = order[np.argsort(codes, kind="stable")]  # grouped by class, so dealing spreads each class evenly
    return [np.sort(order[rank::workers]) for rank in range(workers)]


class _Mailbox:
    """Where the first worker leaves its fitted estimator for the caller (a tiny actor)."""

    def __init__(self) -> None:
        self._item: Any = None

    def put(self, item: Any) -> None:
        self._item = item

    def take(self) -> Any:
        return self._item


def _trainer(spec_key: str, config: dict[str, Any], scale: Scale, storage: str) -> Any:
    from ray.train import RunConfig, ScalingConfig

    scaling = ScalingConfig(num_workers=scale.workers, use_gpu=scale.use_gpu,
                            resources_per_worker={"GPU": 1} if scale.use_gpu else {"CPU": 1})
    run = RunConfig(name=f"advisor-{spec_key}", storage_path=storage)
    if spec_key == "boosting":
        from ray.train.lightgbm import LightGBMTrainer

        return _prompt_cleanup(LightGBMTrainer)(_boosting_worker, train_loop_config=config, scaling_config=scaling,
                                                run_config=run)
    if spec_key == "mlp":
        from ray.train.torch import TorchTrainer

        return _prompt_cleanup(TorchTrainer)(_network_worker, train_loop_config=config, scaling_config=scaling,
                                             run_config=run)
    raise ValueError(f"no data-parallel trainer for {spec_key!r}")


#: How long a finished run waits for Ray Train's placement-group cleaner to stop (Ray's own default: 12 s).
CLEANER_STOP_SECONDS = 1.0


def _prompt_cleanup(trainer_class: type) -> type:
    """``trainer_class`` (a Ray Train trainer) whose placement-group cleaner is given a second to stop.

    Ray Train 2.60 waits up to 12 s after every run for its PlacementGroupCleaner
    actor to stop. Without Ray's dashboard (``ray[train]`` does not install it)
    the cleaner's liveness check of the controller hangs for about 40 s, so every
    run paid the whole 12 s: measured here, a LightGBMTrainer run of an empty
    training loop took 22-25 s instead of 9-12 s. The cleaner matters only while
    a run is alive (it removes the placement group if the controller dies);
    after a graceful end it has nothing left to do, and it still exits itself.
    """
    from ray.train.v2._internal.callbacks.placement_group_callback import PlacementGroupCleanerCallback

    class PromptCleanupTrainer(trainer_class):  # type: ignore[misc, valid-type]
        def _create_default_callbacks(self) -> list[Any]:
            return [PlacementGroupCleanerCallback(stop_timeout=CLEANER_STOP_SECONDS)
                    if isinstance(callback, PlacementGroupCleanerCallback) else callback
                    for callback in super()._create_default_callbacks()]

    PromptCleanupTrainer.__name__ = PromptCleanupTrainer.__qualname__ = trainer_class.__name__
    return PromptCleanupTrainer


def _shard(config: dict[str, Any]) -> tuple[int, np.ndarray, np.ndarray]:
    import ray
    import ray.train

    rank = ray.train.get_context().get_world_rank()
    X_ref, y_ref = config["shards"][rank]
    return rank, ray.get(X_ref), ray.get(y_ref)


def _boosting_worker(config: dict[str, Any]) -> None:
    """One LightGBM worker: the planned estimator on this shard, in LightGBM's data-parallel network."""
    import ray
    from ray.train.lightgbm import get_network_params

    rank, X, y = _shard(config)
    estimator = config["estimator"]
    estimator.set_params(tree_learner="data", pre_partition=True, n_jobs=1, **get_network_params())
    estimator.fit(X, y)
    if rank == 0:
        estimator.stopped_by_clock_ = False  # no clock here: fewer rounds than planned is LightGBM's own stop
        # The network parameters name this run's machines and ports: gone from the model that is kept.
        estimator.set_params(tree_learner="serial", pre_partition=False, num_machines=1, machines=None,
                             local_listen_port=12400)
        ray.get(config["mailbox"].put.remote(estimator))


def _network_worker(config: dict[str, Any]) -> None:
    """One network worker: the shared torch loop on this shard, the module in DistributedDataParallel."""
    import ray
    import ray.train.torch

    rank, X, y = _shard(config)
    estimator = config["estimator"]
    device = ray.train.torch.get_device()
    estimator.set_params(batch_size=config["batch_size"], learning_rate=config["learning_rate"],
                         refit_on_all_rows=False, device=str(device.type), n_threads=1)
    estimator._data_parallel = _DataParallel(config["target_stats"])
    estimator.fit(X, y)
    del estimator._data_parallel
    if rank == 0:
        estimator.device_ = device.type
        ray.get(config["mailbox"].put.remote(estimator))


class _DataParallel:
    """What the shared torch loop asks of its workers when training data-parallel (engine.models.torch_base)."""

    def __init__(self, target_stats: tuple[float, float] | None) -> None:
        self.target_stats = target_stats

    def wrap(self, module: Any) -> Any:
        import ray.train.torch

        return ray.train.torch.prepare_model(module)

    def unwrap(self, module: Any) -> Any:
        return getattr(module, "module", module)

    def _reduce(self, value: float) -> float:
        import torch
        import torch.distributed as dist
        import ray.train.torch

        tensor = torch.tensor([float(value)], dtype=torch.float64, device=ray.train.torch.get_device())
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return float(tensor.item())

    def mean(self, value: float) -> float:
        import torch.distributed as dist

        return self._reduce(value) / dist.get_world_size()

    def any(self, flag: bool) -> bool:
        return self._reduce(1.0 if flag else 0.0) > 0.0
