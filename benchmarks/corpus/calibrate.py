"""Calibration of the advice on the corpus, judged by leave-one-dataset-out (issue 12).

``python -m benchmarks.corpus.calibrate [--results benchmarks/corpus/results.json]``
re-derives each judged dataset's criteria with the published thresholds
(``engine.recommend.advise`` on the built file and its known target: cheap,
nothing is retrained), then searches a small grid of changes to the vote —
the weight of data volume, the weight of data structure, the score of the
100k-1M rows band, the 1k-10k band's score for images and text — for the one that agrees with the measured winners most
often. The honest figure is leave-one-dataset-out: for each dataset, the
grid point chosen on all the *others* advises it. Ties between grid points
go to the smallest change from the published thresholds. Writes
``benchmarks/corpus/calibration.json`` and prints a summary; it never edits
``engine/thresholds.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

from engine import thresholds as th
from engine.corpus import CACHE_DIR, CORPUS_DIR, entry_path, load_manifest
from engine.dataset import load_dataset_path
from engine.recommend import advise
from engine.track_record import agrees, load_results, wilson_interval

PUBLISHED = {"volume_weight": th.PUBLISHED_CRITERION_WEIGHTS["data_volume"],
             "structure_weight": th.PUBLISHED_CRITERION_WEIGHTS["data_structure"],
             "very_large_score": th.PUBLISHED_VOLUME_SCORES["very_large"],
             "unstructured_medium_score": th.PUBLISHED_VOLUME_SCORES["medium"]}
# What engine/thresholds.py votes with now (the grid point leave-one-dataset-out chose).
CALIBRATED = {"volume_weight": th.CRITERION_WEIGHTS["data_volume"], "structure_weight": th.CRITERION_WEIGHTS["data_structure"],
              "very_large_score": th.VOLUME_SCORES["very_large"],
              "unstructured_medium_score": th.UNSTRUCTURED_MEDIUM_VOLUME_SCORE}
GRID = {"volume_weight": [2.0, 3.0, 4.0, 6.0], "structure_weight": [3.0, 2.0, 1.0], "very_large_score": [0.4, 0.7, 1.0],
        "unstructured_medium_score": [-0.6, -0.3, 0.0, 0.3]}

#: (criterion, score, weight, labelled rows, data kind) per criterion of one advice
Criteria = list[tuple[str, float, float, int, str]]


def criteria_of(advice: Any) -> Criteria:
    """An advice's criteria as :func:`choice` reads them."""
    rows, kind = advice.answers.labelled_rows, advice.answers.data_kind.value
    return [(c.name, c.score, c.weight, rows, kind) for c in advice.recommendation.criteria]


def _criteria(name: str, target: str) -> Criteria:
    entry = next(e for e in load_manifest() if e.name == name)
    return criteria_of(advise(load_dataset_path(entry_path(entry, CACHE_DIR)).frame, target))


def choice(criteria: Criteria, params: dict[str, float]) -> str:
    """The vote of engine.recommend with ``params`` in place of the numbers the grid varies."""
    total = weighted = 0.0
    for name, score, weight, rows, kind in criteria:
        if name == "data_volume":
            weight = params["volume_weight"]
            if th.VOLUME_LARGE_ROWS <= rows < th.VOLUME_VERY_LARGE_ROWS:
                score = params["very_large_score"]
            elif th.VOLUME_SMALL_ROWS <= rows < th.VOLUME_MEDIUM_ROWS and kind != "tabular":
                score = params["unstructured_medium_score"]
        elif name == "data_structure":
            weight = params["structure_weight"]
        total += weight
        weighted += score * weight
    mean = weighted / total
    return "ml" if mean <= -th.CLOSE_CALL_BAND else "dl" if mean >= th.CLOSE_CALL_BAND else "either"


def _distance(params: dict[str, float]) -> float:
    return sum(abs(params[k] - PUBLISHED[k]) / abs(PUBLISHED[k]) for k in params)


def calibrate(results: dict[str, Any]) -> dict[str, Any]:
    judged = [r for r in results["datasets"] if r.get("agreed") is not None and r.get("conclusive") is not False]
    criteria = {r["dataset"]: _criteria(r["dataset"], r["target"]) for r in judged}
    grid = [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]

    def hits(params: dict[str, float], rows: list[dict[str, Any]]) -> int:
        return sum(agrees(choice(criteria[r["dataset"]], params), r["winner"]) for r in rows)

    def best(rows: list[dict[str, Any]]) -> dict[str, float]:
        return max(grid, key=lambda p: (hits(p, rows), -_distance(p)))

    published = hits(PUBLISHED, judged)
    in_sample = best(judged)
    loo = []
    for held in judged:
        chosen = best([r for r in judged if r is not held])
        loo.append({"dataset": held["dataset"], "winner": held["winner"], "published": choice(criteria[held["dataset"]], PUBLISHED),
                    "calibrated": choice(criteria[held["dataset"]], chosen), "params": chosen})
    loo_hits = sum(agrees(row["calibrated"], row["winner"]) for row in loo)
    n = len(judged)

    def rate(k: int) -> dict[str, Any]:
        return {"hits": k, "n": n, "rate": k / n if n else None, "interval": list(wilson_interval(k, n) or ())}

    calibrated = hits(CALIBRATED, judged)
    return {"published": PUBLISHED | {"ties_agree": rate(published)},
            "in_engine": CALIBRATED | {"ties_agree": rate(calibrated)},
            "calibrated_in_sample": in_sample | {"ties_agree": rate(hits(in_sample, judged))},
            "leave_one_dataset_out": {"ties_agree": rate(loo_hits), "per_dataset": loo},
            "grid": GRID}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus.calibrate")
    parser.add_argument("--results", default=str(CORPUS_DIR / "results.json"))
    parser.add_argument("--out", default=str(CORPUS_DIR / "calibration.json"))
    args = parser.parse_args()
    report = calibrate(load_results(args.results))
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for name in ("published", "calibrated_in_sample", "in_engine"):
        r = report[name]["ties_agree"]
        params = {k: v for k, v in report[name].items() if k in GRID}
        print(f"{name:22s} {params}  {r['hits']}/{r['n']}")
    r = report["leave_one_dataset_out"]["ties_agree"]
    print(f"{'leave-one-dataset-out':22s} {r['hits']}/{r['n']} [{100 * r['interval'][0]:.0f}-{100 * r['interval'][1]:.0f}%]")
    for row in report["leave_one_dataset_out"]["per_dataset"]:
        if row["published"] != row["calibrated"]:
            print(f"  {row['dataset']}: {row['published']} -> {row['calibrated']} (measured {row['winner']})")


if __name__ == "__main__":
    main()
