"""Fit the advice's weights and volume curves within published bounds, on development results only (issue 17).

``python -m benchmarks.corpus.calibrate [--results FILE] [--variants N]``

What it does, in order:

1. Reads a results file of the corpus run and **refuses sealed results**: a
   file whose run is marked ``split: sealed`` is an error, and rows marked
   sealed in a mixed file are dropped before anything else of them is read.
   Results without any split mark (those committed before the sealed split
   existed) are used as development data and every figure is labelled
   *in-sample*. Generated datasets, errors and inconclusive measurements are
   left out (generated data never steer the advice).
2. Turns each dataset into the answers its data alone suggest
   (``engine.advice.recommend.default_answers``: kind and labelled rows, the other
   answers at their defaults) and scores a variant of the vote by its mean
   **regret**: the metric points lost by following the advice instead of the
   measured winner (0 when the measurement is a tie), and for "train both"
   the compute it costs (``TRAIN_BOTH_COST``).
3. Tries the published prior and ``--variants`` random variants inside the
   bounds of ``engine/common/thresholds.py`` (weights, volume-curve midpoints and
   widths, the close-call band). A variant that breaks an expert constraint
   (structure weighs less than another criterion; an ``EXPERT_CASES`` advice
   an expert would reject) is logged and never chosen. Every variant, with
   its score, goes to ``calibration_journal.jsonl``.
4. Judges the search honestly: leave-one-dataset-out, the best variant on the
   other datasets advises the held-out one. Only if that beats the prior's
   regret is the fit proposed; otherwise the prior stands, and the report
   says so. It never edits ``engine/common/thresholds.py``.
5. Fits the confidence map P(right) = sigmoid(a + b |score|) (b >= 0, shrunk
   toward the prior a = 0, b = 2) on the development part's firm advice, and a
   close call's confidence apart: the share of its close calls that ended in a
   tie (the event a close call claims), shrunk toward 0.5. Writes a
   reliability table and a Brier score with them.

Writes ``benchmarks/corpus/calibration.json`` and prints a summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from engine.common import thresholds as th
from engine.evidence.corpus import CORPUS_DIR
from engine.io.data import DataError
from engine.advice.recommend import Answers, DataKind, VoteParams, default_answers, recommend
from engine.evidence.track_record import agrees, load_results

JOURNAL = CORPUS_DIR / "calibration_journal.jsonl"
REPORT = CORPUS_DIR / "calibration.json"
DEVELOPMENT = "development"
SEALED = "sealed"
# "Train both" costs a second training run; counted as the practical tie margin,
# the smallest difference in the metric the verdict calls real.
TRAIN_BOTH_COST = th.PRACTICAL_TIE_MARGIN
# A fitted variant replaces the prior only if its leave-one-dataset-out regret is lower by at least this.
MIN_IMPROVEMENT = 1e-4
# The confidence map's prior (a, b) and the weight of the pull toward it (an L2 penalty in log-loss units).
CONFIDENCE_PRIOR = (0.0, 2.0)
CONFIDENCE_PRIOR_STRENGTH = 1.0
#: A close call's confidence is its tie share shrunk toward 0.5 by this many pseudo-datasets.
CLOSE_CALL_PRIOR_DATASETS = 2.0
RELIABILITY_BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


class SealedResultsError(DataError):
    """The calibration was handed sealed results; it must never read them."""


def development_rows(results: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The development part's usable rows, and a note of what was left out and why.

    Raises SealedResultsError for a file whose run is the sealed split.
    """
    run = results.get("run") or {}
    if str(run.get("split", "")).lower() == SEALED:
        raise SealedResultsError("these results are the sealed split; the calibration reads development results only")
    marked = any("split" in row for row in results["datasets"]) or "split" in run
    kept: list[dict[str, Any]] = []
    left_out = {"sealed": 0, "generated": 0, "not_judged": 0}  # "generated": generated or simulated
    for row in results["datasets"]:
        if str(row.get("split", run.get("split", DEVELOPMENT))).lower() == SEALED:
            left_out["sealed"] += 1  # nothing else of a sealed row is read
            continue
        if str(row.get("source", "")).startswith("generated") or row.get("origin", "real") != "real":
            left_out["generated"] += 1  # generated or simulated data never steer the advice
            continue
        if row.get("error") or row.get("winner") not in ("ml", "dl", "tie") or row.get("conclusive") is False \
                or row.get("margin") is None or not row.get("rows"):
            left_out["not_judged"] += 1
            continue
        kept.append(row)
    label = DEVELOPMENT if marked else f"{DEVELOPMENT} (in-sample: these results predate the sealed split)"
    return kept, {"split": label, "left_out": left_out, "datasets": len(kept)}


def read_results(path: Path | str) -> dict[str, Any]:
    """A results file: the runner's JSON lines (``results-development.jsonl``, one dataset a line) or the older JSON.

    A file named for the sealed part is refused before it is opened.
    """
    path = Path(path)
    if SEALED in path.name.lower():
        raise SealedResultsError(f"{path.name} holds the sealed split; the calibration reads development results only")
    if path.suffix != ".jsonl":
        return load_results(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DataError(f"the results at {path} cannot be read: {error.strerror or error}") from None
    run: dict[str, Any] = {}
    rows = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                item = json.loads(line)
            except ValueError:
                if number == len(lines):
                    break  # the runner's last line, torn by an interruption
                raise DataError(f"line {number} of {path} is not JSON") from None
            if item.get("type") == "run":
                run = item  # the runner's header line: its split, commit and entries
            else:
                rows.append(item)
    return {"run": run, "datasets": rows}


def default_results() -> Path:
    """The runner's development results when they exist, else the committed pre-split results (in-sample)."""
    development = CORPUS_DIR / "results-development.jsonl"
    return development if development.is_file() else CORPUS_DIR / "results.json"


def answers_of(row: dict[str, Any]) -> Answers:
    """The answers a user who only uploads the data gets: its kind and labelled rows."""
    try:
        kind = DataKind(row.get("kind", "tabular"))
    except ValueError:
        kind = DataKind.TABULAR
    return default_answers(kind, int(row["rows"]))


def regret(choice: str, row: dict[str, Any]) -> float:
    """Metric points lost by following ``choice`` instead of the measured winner (margin = ML - DL)."""
    if choice == "either":
        return TRAIN_BOTH_COST
    if row["winner"] == "tie" or row["winner"] == choice:
        return 0.0
    return abs(float(row["margin"]))


def prior() -> VoteParams:
    """The published/expert numbers (engine/common/thresholds.py's PUBLISHED weights and source-read curves)."""
    return VoteParams(weights=dict(th.PUBLISHED_CRITERION_WEIGHTS), volume_curves=dict(th.VOLUME_CURVES),
                      close_call_band=th.CLOSE_CALL_BAND)


def random_variant(rng: random.Random) -> VoteParams:
    """A vote drawn uniformly inside the bounds an expert accepts."""
    weights = {name: rng.uniform(*bounds) for name, bounds in th.CRITERION_WEIGHT_BOUNDS.items()}
    curves = {kind: (rng.uniform(*mid), rng.uniform(*width)) for kind, (mid, width) in th.VOLUME_CURVE_BOUNDS.items()}
    return VoteParams(weights=weights, volume_curves=curves, close_call_band=rng.uniform(*th.CLOSE_CALL_BAND_BOUNDS))


def constraint_failures(params: VoteParams) -> list[str]:
    """What an expert would reject in ``params`` (empty: it passes)."""
    failures = []
    structure = params.weights["data_structure"]
    for name, weight in params.weights.items():
        if weight > structure:
            failures.append(f"{name} weighs {weight:.2f} > structure {structure:.2f}")
    for kind, rows, transparency, gpu, problem, allowed in th.EXPERT_CASES:
        from engine.advice.recommend import ProblemType, Transparency

        answers = Answers(data_kind=DataKind(kind), labelled_rows=rows, transparency=Transparency(transparency),
                          gpu=gpu, problem_type=ProblemType(problem))
        choice = recommend(answers, params).choice
        if choice not in allowed:
            failures.append(f"{rows:,} {kind} rows ({transparency} transparency, gpu={gpu}, {problem}): {choice}")
    return failures


def params_dict(params: VoteParams) -> dict[str, Any]:
    return {"weights": {k: round(v, 4) for k, v in params.weights.items()},
            "volume_curves": {k: [round(m, 4), round(w, 4)] for k, (m, w) in params.volume_curves.items()},
            "close_call_band": round(params.close_call_band, 4)}


def fit_confidence(scores: list[float], right: list[bool]) -> tuple[float, float]:
    """(a, b) of P(right) = sigmoid(a + b |score|), b >= 0, by penalised maximum likelihood."""
    x = np.abs(np.asarray(scores, dtype=float))
    y = np.asarray(right, dtype=float)
    a0, b0 = CONFIDENCE_PRIOR

    def loss(theta: np.ndarray) -> float:
        z = theta[0] + theta[1] * x
        log_likelihood = np.sum(y * -np.logaddexp(0, -z) + (1 - y) * -np.logaddexp(0, z))
        return float(-log_likelihood + CONFIDENCE_PRIOR_STRENGTH * ((theta[0] - a0) ** 2 + (theta[1] - b0) ** 2))

    fitted = minimize(loss, np.array([a0, b0]), bounds=[(-3.0, 3.0), (0.0, 10.0)], method="L-BFGS-B")
    return float(fitted.x[0]), float(fitted.x[1])


def reliability(confidences: list[float], right: list[bool]) -> dict[str, Any]:
    """Of the advice given with confidence in each bin, how often it was right; and the Brier score."""
    table = []
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:]):
        inside = [(c, r) for c, r in zip(confidences, right) if low <= c < high]
        if inside:
            table.append({"bin": [low, min(high, 1.0)], "n": len(inside),
                          "mean_confidence": round(sum(c for c, _ in inside) / len(inside), 4),
                          "right": round(sum(r for _, r in inside) / len(inside), 4)})
    brier = sum((c - r) ** 2 for c, r in zip(confidences, right)) / len(right) if right else None
    return {"table": table, "brier": None if brier is None else round(brier, 4), "n": len(right)}


def calibrate(results: dict[str, Any], variants: int = 300, seed: int = 0,
              journal: Path | None = JOURNAL) -> dict[str, Any]:
    """Search, judge and report (see the module docstring); appends every variant to ``journal``."""
    rows, data_note = development_rows(results)
    if not rows:
        raise DataError("no judged development datasets to calibrate on")
    answers = [answers_of(row) for row in rows]
    rng = random.Random(seed)
    candidates = [("prior", prior())] + [(f"random-{seed}-{i}", random_variant(rng)) for i in range(variants)]
    date = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    regrets = np.zeros((len(candidates), len(rows)))
    passes = []
    lines = []
    for i, (name, params) in enumerate(candidates):
        choices = [recommend(a, params).choice for a in answers]
        regrets[i] = [regret(c, row) for c, row in zip(choices, rows)]
        failures = constraint_failures(params)
        passes.append(not failures)
        hits = sum(agrees(c, row["winner"]) for c, row in zip(choices, rows))
        lines.append({"variant": name, "params": params_dict(params), "split": DEVELOPMENT,
                      "score": round(-float(regrets[i].mean()), 6), "score_is": "minus mean regret (metric points)",
                      "hits": hits, "n": len(rows), "constraint_failures": failures, "in_sample": True, "date": date})
    if journal is not None:
        with Path(journal).open("a", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line) + "\n")

    allowed = np.array(passes)
    mean = regrets.mean(axis=1)
    masked = np.where(allowed, mean, np.inf)
    best = int(np.argmin(masked))
    # Leave one dataset out: the best allowed variant on the others advises the held-out one.
    total = regrets.sum(axis=1)
    held_out = []
    for j in range(len(rows)):
        others = np.where(allowed, (total - regrets[:, j]) / max(len(rows) - 1, 1), np.inf)
        held_out.append(float(regrets[int(np.argmin(others)), j]))
    loo = float(np.mean(held_out))
    prior_regret = float(mean[0])
    adopt = passes[best] and best != 0 and loo < prior_regret - MIN_IMPROVEMENT
    chosen_name, chosen = candidates[best] if adopt else candidates[0]

    recommendations = [recommend(a, chosen) for a in answers]
    right = [agrees(r.choice, row["winner"]) for r, row in zip(recommendations, rows)]
    scores = [r.score for r in recommendations]
    firm = [i for i, r in enumerate(recommendations) if r.choice != "either"]
    a, b = fit_confidence([scores[i] for i in firm], [right[i] for i in firm])
    close = [right[i] for i, r in enumerate(recommendations) if r.choice == "either"]
    close_share = (sum(close) + 0.5 * CLOSE_CALL_PRIOR_DATASETS) / (len(close) + CLOSE_CALL_PRIOR_DATASETS)
    fitted_params = replace(chosen, confidence_intercept=a, confidence_slope=b, close_call_confidence=close_share)
    confidences = [recommend(x, fitted_params).confidence for x in answers]
    naive = [min(0.5 + abs(s) / 2, 1.0) for s in scores]
    return {
        "data": data_note,
        "method": {"score": "minus mean regret; 'train both' costs TRAIN_BOTH_COST", "train_both_cost": TRAIN_BOTH_COST,
                   "variants_tried": len(candidates), "seed": seed, "allowed": int(allowed.sum()),
                   "judged_by": "leave-one-dataset-out regret of the best allowed variant"},
        "prior": params_dict(candidates[0][1]) | {"mean_regret": round(prior_regret, 6),
                                                  "hits": lines[0]["hits"], "n": len(rows)},
        "best_in_sample": {"variant": candidates[best][0], "params": params_dict(candidates[best][1]),
                           "mean_regret": round(float(mean[best]), 6), "hits": lines[best]["hits"]},
        "leave_one_dataset_out_regret": round(loo, 6),
        "adopted": chosen_name,
        "decision": (f"the fit ({chosen_name}) beats the prior out of sample: copy its numbers to engine/common/thresholds.py"
                     if adopt else "no fit beats the published prior out of sample: the prior stands"),
        "confidence": {"intercept": round(a, 4), "slope": round(b, 4), "prior": list(CONFIDENCE_PRIOR),
                       "fitted_on": f"the {len(firm)} firm choices (a close call has its own confidence)",
                       "close_call": {"confidence": round(close_share, 4), "close_calls": len(close),
                                      "ended_in_a_tie": int(sum(close)), "prior_datasets": CLOSE_CALL_PRIOR_DATASETS},
                       "right_means": "the advice agreed with the measured winner (a close call only with a tie)",
                       "reliability": reliability(confidences, right),
                       "reliability_of_half_plus_half_score": reliability(naive, right)},
        "per_dataset": [{"dataset": row["dataset"], "kind": row.get("kind"), "rows": row["rows"], "winner": row["winner"],
                         "margin": row["margin"], "advice": r.choice, "score": round(r.score, 4),
                         "confidence": round(c, 4), "regret": round(regret(r.choice, row), 6)}
                        for row, r, c in zip(rows, recommendations, confidences)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus.calibrate")
    parser.add_argument("--results", default=None, help="default: results-development.jsonl, else results.json")
    parser.add_argument("--out", default=str(REPORT))
    parser.add_argument("--journal", default=str(JOURNAL))
    parser.add_argument("--variants", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        report = calibrate(read_results(args.results or default_results()), args.variants, args.seed, Path(args.journal))
    except DataError as error:
        raise SystemExit(f"error: {error}") from None
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"data: {report['data']['split']}, {report['data']['datasets']} datasets; left out {report['data']['left_out']}")
    print(f"prior: mean regret {report['prior']['mean_regret']:.4f}, {report['prior']['hits']}/{report['prior']['n']} agree")
    best = report["best_in_sample"]
    print(f"best allowed in-sample ({best['variant']}): mean regret {best['mean_regret']:.4f}, {best['hits']} agree")
    print(f"leave-one-dataset-out regret of the search: {report['leave_one_dataset_out_regret']:.4f}")
    print(report["decision"])
    conf = report["confidence"]
    print(f"confidence: sigmoid({conf['intercept']:.3f} + {conf['slope']:.3f} |score|); "
          f"Brier {conf['reliability']['brier']} (0.5 + |score|/2: {conf['reliability_of_half_plus_half_score']['brier']})")
    close = conf["close_call"]
    print(f"close call: confidence {close['confidence']:.3f} ({close['ended_in_a_tie']} of {close['close_calls']} close "
          f"calls ended in a tie, shrunk toward 0.5 by {close['prior_datasets']:g})")
    for row in conf["reliability"]["table"]:
        print(f"  confidence {row['bin'][0]:.1f}-{row['bin'][1]:.1f}: n={row['n']}, "
              f"mean {row['mean_confidence']:.2f}, right {row['right']:.2f}")
    if not math.isfinite(report["leave_one_dataset_out_regret"]):
        raise SystemExit("error: no variant passed the expert constraints")


if __name__ == "__main__":
    main()
