"""A fair fight (issues 12 and 17): where a side lost a corpus entry, was it under-trained or under-sized?

``python -m benchmarks.corpus.fair_fight [--only NAME ...] [--all] [--seed N]``

For each corpus entry whose committed results (``results.json``) record a
winner — or every tabular and image entry with ``--all`` — this
runs the product's comparison (:func:`engine.run.pipeline.compare`, the same
split, metric and models as the track record) and then trains fair upgrades of
the network on that comparison's training rows and scores them on its test
rows, in its verdict metric, with the product's own verdict rule
(:func:`engine.measure.evaluate.decide_winner` against the product's classic model):

* tables: ``longer_wider`` — the product's MLP wider (256-128), with 30 epochs of
  patience and up to 400 epochs (the under-training check); ``tabm_packed`` — an
  ensemble of 8 MLPs trained together on the same batches, each with its own
  loss, their probabilities (or predictions) averaged: TabM's "packed" baseline
  (Gorishniy et al. 2024, "TabM: Advancing Tabular Deep Learning with
  Parameter-Efficient Ensembling"), the simple form of a deep ensemble;
* images: ``cnn_longer`` — the product's CNN with small-data batches, up to 100
  epochs and 10 of patience; ``sklearn_mlp`` — scikit-learn's MLPClassifier on
  the same pixels, a size check.

Each upgrade trains for at most ``UPGRADE_MAX_SECONDS``; the table says whether
it fitted the network's share of the product's time budget. The verdict of an
entry is "still loses" when neither the product's network nor any upgrade ties
or beats the classic model, "upgrade ties or wins" when an upgrade does, and
"product ties or wins" when the product's network itself no longer loses (the
corpus was recorded before a product change). On small data (fewer than
``SMALL_DATA_ROWS`` rows) the product decides over repeated splits; the
upgrades are judged on its first split only, which the table says.

Results go to ``benchmarks/corpus/fair_fight.json`` (entries of earlier runs
that this run did not repeat are kept). Exit status 1 only when an entry fails.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from engine.common import thresholds as th
from engine.evidence.corpus import CORPUS_DIR, entry_path, load_manifest, select_entries
from engine.io.data import DataError

__all__ = ["fight_verdict", "format_table", "losing_entries", "fight_entry", "merge_results", "main",
           "UPGRADE_MAX_SECONDS", "OUTPUT"]

RESULTS = CORPUS_DIR / "results.json"
OUTPUT = CORPUS_DIR / "fair_fight.json"
#: Wall-clock cap on one upgrade's training: enough to see whether more training helps at all.
UPGRADE_MAX_SECONDS = 120.0
#: Members of the packed ensemble (TabM's default k is 32; 8 keeps it inside a CPU budget).
ENSEMBLE_MEMBERS = 8

STILL_LOSES = "still loses"
UPGRADE_TIES_OR_WINS = "upgrade ties or wins"
PRODUCT_TIES_OR_WINS = "product ties or wins"


# --- the table's logic (pure) -----------------------------------------------------------


def fight_verdict(product_winner: str, upgrade_winners: list[str], side: str = "dl") -> str:
    """The fair fight's verdict for one ``side`` from the product's winner and each of that side's upgrades' winners.

    Winners are the product's verdict words ("ml", "dl", "tie"). The network
    side (``"dl"``) loses where the product's winner is "ml"; the classic side
    (``"ml"``) where it is "dl": every upgrade is tried on both sides (issue 17).
    """
    other = "ml" if side == "dl" else "dl"
    if product_winner != other:
        return PRODUCT_TIES_OR_WINS
    if any(w in ("tie", side) for w in upgrade_winners):
        return UPGRADE_TIES_OR_WINS
    return STILL_LOSES


def losing_entries(results: dict[str, Any], *, all_entries: bool = False, kinds: tuple[str, ...] = ("tabular", "images"),
                   winners: tuple[str, ...] = ("ml",)) -> list[str]:
    """Names of the recorded entries whose winner is one of ``winners`` (default: the classic model won; or, ``all_entries``, every one of ``kinds``)."""
    names = []
    for row in results.get("datasets", []):
        kind = row.get("kind") or row.get("declared_kind")
        if kind not in kinds or row.get("error") or row.get("pending"):
            continue
        if all_entries or row.get("winner") in winners:
            names.append(row["dataset"])
    return names


def merge_results(previous: dict[str, Any] | None, new_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of this run, plus the rows of an earlier run for datasets this run did not repeat (sorted by name)."""
    rows = {r["dataset"]: r for r in (previous or {}).get("datasets", [])}
    rows.update({r["dataset"]: r for r in new_rows})
    return [rows[name] for name in sorted(rows)]


def _score(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """One line per dataset: scores of the classic model, the product's network and each upgrade, and the verdict."""
    header = ["dataset", "metric", "ML", "DL (product)", "upgrades: score, train s, winner vs ML", "verdict"]
    lines = [header]
    for r in rows:
        if r.get("error"):
            lines.append([r["dataset"], "", "", "", f"error: {r['error']}", ""])
            continue
        shown = "; ".join(
            f"{'classic ' if u.get('side') == 'ml' else ''}{u['name']} {_score(u['score'])} ({u['train_seconds']:.0f} s{'' if u['fits_budget'] else ', over budget'}, {u['winner']})"
            for u in r["upgrades"])
        product = f"{_score(r['dl_score'])} ({r['product_winner']})"
        lines.append([r["dataset"], r["metric"], _score(r["ml_score"]), product, shown, r["verdict"]])
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
    text = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


# --- the upgrades ------------------------------------------------------------------------


@dataclass
class Upgrade:
    name: str
    description: str
    build: Callable[[], Any]  # an unfitted pipeline
    side: str = "dl"  # which side it upgrades: judged against the product's model of the other side


def _classic_upgrades(kind: str, profile: Any, seed: int) -> list[Upgrade]:
    """The same two kinds of upgrade for the classic side: trained longer and larger, and the other classic family."""
    from engine.registry import kind_named

    spec = kind_named(kind)
    keys = [m.key for m in spec.ml_models]
    upgrades = []
    if "boosting" in keys:
        def longer() -> Any:
            model = spec.ml_model("boosting").build(profile, seed, UPGRADE_MAX_SECONDS)
            rounds = 1_000 if kind == "tabular" else 300
            return model.set_params(model__n_estimators=rounds, model__learning_rate=0.03)

        upgrades.append(Upgrade("boosting_longer", "the product's LightGBM with more, smaller steps "
                                "(1,000 rounds at 0.03 on tables, 300 on pixels)", longer, side="ml"))
    for key in keys[1:]:
        upgrades.append(Upgrade(f"classic_{key}", f"the product's other classic family: {spec.ml_model(key).label}",
                                lambda key=key: spec.ml_model(key).build(profile, seed, UPGRADE_MAX_SECONDS), side="ml"))
    return upgrades


def _tabular_upgrades(profile: Any, seed: int) -> list[Upgrade]:
    from sklearn.pipeline import Pipeline

    from engine.profile.balance import balanced_training
    from engine.profile.features import make_preprocessor
    from engine.models.dl import make_dl_model

    def packed() -> Any:
        cls = PackedMLPClassifier if profile.task.is_classification else PackedMLPRegressor
        weights = {"class_weight": "balanced" if balanced_training(profile) else None} if cls is PackedMLPClassifier else {}
        return Pipeline([("prep", make_preprocessor(profile, for_network=True)),
                         ("model", cls(k=ENSEMBLE_MEMBERS, random_state=seed, max_seconds=UPGRADE_MAX_SECONDS, **weights))])

    return [
        Upgrade("longer_wider", "the product's MLP at 256-128, patience 30, up to 400 epochs",
                lambda: make_dl_model(profile, seed=seed, max_seconds=UPGRADE_MAX_SECONDS, hidden_sizes=(256, 128),
                                      patience=30, max_epochs=400)),
        Upgrade("tabm_packed", f"{ENSEMBLE_MEMBERS} MLPs (128-64) trained together, each with its own loss, averaged", packed),
    ]


def _image_upgrades(profile: Any, seed: int) -> list[Upgrade]:
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler

    from engine.registry import kind_named

    def longer() -> Any:
        model = kind_named("images").dl_model().build(profile, seed, UPGRADE_MAX_SECONDS)
        return model.set_params(model__batch_size=None, model__max_epochs=100, model__patience=10)

    def sk_mlp() -> Any:
        cls = MLPClassifier if profile.task.is_classification else MLPRegressor
        return Pipeline([("prep", MaxAbsScaler()),
                         ("model", cls(hidden_layer_sizes=(256, 128), early_stopping=True, max_iter=300, random_state=seed))])

    return [
        Upgrade("cnn_longer", "the product's CNN with auto (small-data) batches, up to 100 epochs, patience 10", longer),
        Upgrade("sklearn_mlp", "scikit-learn MLPClassifier 256-128 on the pixels (early stopping)", sk_mlp),
    ]


def _fit(model: Any, X: Any, y: Any) -> dict[str, Any]:
    model.fit(X, y)
    network = model[-1]
    details: dict[str, Any] = {}
    for attribute, key in (("n_epochs_", "epochs"), ("stopped_by_", "stopped_by"), ("n_iter_", "epochs")):
        if hasattr(network, attribute):
            details[key] = getattr(network, attribute)
    return details


# --- one entry ---------------------------------------------------------------------------


def fight_entry(name: str, *, seed: int = 0, max_seconds: float = th.CORPUS_MAX_SECONDS,
                recorded: dict[str, Any] | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    """The product's comparison of one corpus entry, then each upgrade on its split (see the module docstring)."""
    from engine.io.dataset import load_dataset_path
    from engine.measure.evaluate import decide_winner, score_model
    from engine.run.pipeline import compare

    entry = select_entries(load_manifest(), [name])[0]
    dataset = load_dataset_path(entry_path(entry))
    started = time.perf_counter()
    result = compare(dataset, entry.target, seed=seed, max_seconds=max_seconds, shap_rows=1)
    split, task, metric = result.data_split, result.advice.profile.task, result.verdict.metric
    # What the product's work budget planned for its network (engine.measure.budget), on the reference machine.
    dl_planned = sum(plan["estimated_seconds"] for plan in result.work_budget["dl"].values())
    say(f"{name}: product ML {result.ml.metrics[metric]:.4f}, DL {result.dl.metrics[metric]:.4f} {metric} "
        f"(winner {result.verdict.winner}, DL trained {result.dl.train_seconds:.1f} s, planned {dl_planned:.0f} s)")
    upgrades = _image_upgrades if result.dataset.kind == "images" else _tabular_upgrades
    rows = []
    for upgrade in upgrades(result.advice.profile, seed) + _classic_upgrades(result.dataset.kind, result.advice.profile, seed):
        model = upgrade.build()
        clock = time.perf_counter()
        details = _fit(model, split.X_train, split.y_train)
        seconds = time.perf_counter() - clock
        scored = score_model(upgrade.side, upgrade.name, model, split, task, seconds, seed, metric=metric)
        # Always ML - DL: a network upgrade against the product's classic model, a classic one against its network.
        ml, dl = (result.ml, scored) if upgrade.side == "dl" else (scored, result.dl)
        verdict = decide_winner(task, split.y_test.to_numpy(), ml, dl, seed)
        rows.append({"name": upgrade.name, "side": upgrade.side, "description": upgrade.description,
                     "score": scored.metrics[metric], "train_seconds": seconds, "fits_budget": seconds <= dl_budget,
                     "winner": verdict.winner, "ml_minus_dl": verdict.difference, "interval": list(verdict.interval),
                     "flags": scored.flags, **details})
        say(f"  {upgrade.side} {upgrade.name}: {scored.metrics[metric]:.4f} in {seconds:.1f} s ({verdict.winner}) {details}")
    return {
        "dataset": name, "kind": result.dataset.kind, "task": task.value, "rows": result.dataset.rows, "metric": metric,
        "ml_score": result.ml.metrics[metric], "dl_score": result.dl.metrics[metric],
        "product_winner": result.verdict.winner, "product_splits": result.verdict.splits,
        "upgrades_judged_on": "the product's first split" if result.verdict.splits > 1 else "the product's split",
        "ml_model": result.ml.name, "dl_model": result.dl.name, "dl_notes": result.dl.notes,
        "dl_train_seconds": result.dl.train_seconds, "dl_budget_seconds": dl_budget,
        "recorded": {k: (recorded or {}).get(k) for k in ("winner", "ml_score", "dl_score")},
        "upgrades": rows,
        "verdict": fight_verdict(result.verdict.winner, [u["winner"] for u in rows if u["side"] == "dl"]),
        "classic_verdict": fight_verdict(result.verdict.winner, [u["winner"] for u in rows if u["side"] == "ml"], side="ml"),
        "product_fair": result.verdict.fair,
        "seconds": time.perf_counter() - started, "seed": seed,
    }


# --- the packed ensemble (TabM's "packed" baseline) ----------------------------------------

import torch  # noqa: E402
from torch import nn  # noqa: E402

from engine.models.dl import TorchMLPClassifier, TorchMLPRegressor  # noqa: E402


class _PackedLinear(nn.Module):
    """``k`` independent linear layers applied at once: (B, in) or (B, k, in) -> (B, k, out).

    Held as ``k`` ``nn.Linear`` members so the shared loop's seeded
    initialisation (``engine.models.torch_base.seed_module``) draws them from
    the network's own generator, with ``nn.Linear``'s default scheme.
    """

    def __init__(self, k: int, n_in: int, n_out: int) -> None:
        super().__init__()
        self.members = nn.ModuleList(nn.Linear(n_in, n_out) for _ in range(k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = torch.stack([m.weight for m in self.members])  # (k, out, in)
        bias = torch.stack([m.bias for m in self.members])  # (k, out)
        if x.dim() == 2:
            return torch.einsum("bi,koi->bko", x, weight) + bias
        return torch.einsum("bki,koi->bko", x, weight) + bias


class _MemberLoss(nn.Module):
    """The base loss of every member on the same batch, averaged (TabM trains each member on its own loss)."""

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        batch, k, outputs = output.shape
        stacked = output.transpose(0, 1).reshape(k * batch, outputs)
        return self.base(stacked, target.repeat(k, *([1] * (target.dim() - 1))))


class _Average(nn.Module):
    """Members' outputs (B, k, o) to one output (B, o): mean probability (as a logit) or mean prediction."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def forward(self, output: torch.Tensor) -> torch.Tensor:
        if self.mode == "softmax":
            return torch.logsumexp(torch.log_softmax(output, dim=2), dim=1) - math.log(output.shape[1])
        if self.mode == "sigmoid":
            p = torch.sigmoid(output).mean(dim=1).clamp(1e-7, 1 - 1e-7)
            return torch.log(p) - torch.log1p(-p)
        return output.mean(dim=1)


class _PackedMixin:
    k: int
    hidden_sizes: tuple[int, ...]
    dropout: float

    def _build_module(self, X: Any, n_outputs: int) -> nn.Module:
        layers: list[nn.Module] = []
        width = X.shape[1]
        for hidden in self.hidden_sizes:
            layers += [_PackedLinear(self.k, width, hidden), nn.ReLU(), nn.Dropout(self.dropout)]
            width = hidden
        layers.append(_PackedLinear(self.k, width, n_outputs))
        return nn.Sequential(*layers)

    def _loss(self) -> nn.Module:
        return _MemberLoss(super()._loss())  # type: ignore[misc]

    def _finish(self, module: nn.Module) -> nn.Module:
        if not hasattr(self, "classes_"):
            mode = "mean"
        else:
            mode = "sigmoid" if len(self.classes_) == 2 else "softmax"  # type: ignore[attr-defined]
        return super()._finish(nn.Sequential(module, _Average(mode)).eval())  # type: ignore[misc]


def _packed_init(self: Any, k: int = ENSEMBLE_MEMBERS, hidden_sizes: tuple[int, ...] = (128, 64), dropout: float = 0.1,
                 learning_rate: float | None = None, weight_decay: float = 1e-4, batch_size: int | None = None,
                 max_epochs: int = 200, patience: int = 12, validation_fraction: float = 0.15,
                 max_seconds: float | None = None, random_state: int = 0, device: str = "auto",
                 n_threads: int | None = 1, class_weight: str | None = None) -> None:
    self.k = k
    TorchMLPClassifier.__init__(self, hidden_sizes=hidden_sizes, dropout=dropout, learning_rate=learning_rate,
                                weight_decay=weight_decay, batch_size=batch_size, max_epochs=max_epochs, patience=patience,
                                validation_fraction=validation_fraction, max_seconds=max_seconds,
                                random_state=random_state, device=device, n_threads=n_threads, class_weight=class_weight)


class PackedMLPClassifier(_PackedMixin, TorchMLPClassifier):
    __init__ = _packed_init


class PackedMLPRegressor(_PackedMixin, TorchMLPRegressor):
    __init__ = _packed_init


# --- the command -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus.fair_fight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these entries (default: where results.json says ML won)")
    parser.add_argument("--all", action="store_true", help="every tabular and image entry, not only those the network lost")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    recorded = json.loads(RESULTS.read_text(encoding="utf-8"))
    by_name = {r["dataset"]: r for r in recorded["datasets"]}
    names = args.only or losing_entries(recorded, all_entries=args.all, winners=("ml", "dl"))
    rows, failed = [], False
    for name in names:
        say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
        try:
            rows.append(fight_entry(name, seed=args.seed, recorded=by_name.get(name), say=say))
        except (DataError, ValueError, RuntimeError) as error:
            failed = True
            rows.append({"dataset": name, "error": str(error)})
            say(f"{name}: error: {error}")
    previous = json.loads(args.output.read_text(encoding="utf-8")) if args.output.is_file() else None
    merged = merge_results(previous, rows)
    payload = {"datasets": merged, "upgrade_max_seconds": UPGRADE_MAX_SECONDS, "budget_seconds": th.CORPUS_MAX_SECONDS,
               "rule": "each upgrade is judged against the product's classic model with the product's verdict rule "
                       "(engine.measure.evaluate.decide_winner) on the product's split"}
    args.output.write_text(json.dumps(payload, indent=1, default=float) + "\n", encoding="utf-8")
    print(format_table(merged))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
