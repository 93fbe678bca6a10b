"""How often the target guess names the corpus's target, per part of the split.

``python -m benchmarks.corpus.target_guess [--split development|sealed|all] [--cache DIR]``

Reads the manifest and the built cache (``python -m benchmarks.corpus build``),
runs ``engine.profile.profile.guess_target_details`` on each real table and text set
as a user who uploads it would, and prints the hit rate with its Wilson
interval and every miss. Images are left out (a ZIP of class folders has no
target to guess), and so are generated sets. The label words are fixed in
``engine/profile/profile.py`` from general usage; this script measures them and
never changes them. Run the sealed part once per release, like the corpus.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from engine.evidence.corpus import CACHE_DIR, MANIFEST
from engine.io.data import DataError
from engine.io.dataset import load_dataset_path
from engine.profile.profile import guess_target_details
from engine.evidence.track_record import wilson_interval


def entries(manifest: Path, split: str) -> list[dict[str, Any]]:
    """The manifest's real, non-image entries of ``split`` ("all" for every part)."""
    raw = tomllib.loads(Path(manifest).read_text(encoding="utf-8")).get("dataset", [])
    return [e for e in raw if e.get("origin", "real") == "real" and e.get("kind") != "images"
            and (split == "all" or e.get("split", "development") == split)]


def measure(chosen: list[dict[str, Any]], cache: Path) -> dict[str, Any]:
    """Each entry's guess against its target; entries not built yet are counted apart, never as misses."""
    rows, missing = [], []
    for entry in chosen:
        path = Path(cache) / f"{entry['name']}.csv"
        if not path.is_file():
            missing.append(entry["name"])
            continue
        try:
            frame = load_dataset_path(path).frame
        except DataError as error:
            rows.append({"dataset": entry["name"], "target": entry["target"], "guess": None, "right": False, "why": str(error)})
            continue
        guess = guess_target_details(frame)
        rows.append({"dataset": entry["name"], "split": entry.get("split"), "target": entry["target"], "guess": guess.column,
                     "right": guess.column == entry["target"], "why": guess.why})
    hits = sum(r["right"] for r in rows)
    return {"hits": hits, "n": len(rows), "interval": wilson_interval(hits, len(rows)), "rows": rows, "not_built": missing}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus.target_guess")
    parser.add_argument("--split", choices=("development", "sealed", "all"), default="development")
    parser.add_argument("--cache", default=str(CACHE_DIR))
    parser.add_argument("--manifest", default=str(MANIFEST))
    args = parser.parse_args()
    result = measure(entries(Path(args.manifest), args.split), Path(args.cache))
    if not result["n"]:
        raise SystemExit(f"error: no built entries of the {args.split} part in {args.cache}")
    low, high = result["interval"]
    print(f"target guess, {args.split} part: {result['hits']}/{result['n']} = {result['hits'] / result['n']:.0%} "
          f"[{low:.0%}-{high:.0%}]" + (f"; not built: {len(result['not_built'])}" if result["not_built"] else ""))
    for row in result["rows"]:
        if not row["right"]:
            print(f"  miss {row['dataset']}: target {row['target']}, guessed {row['guess']} ({row['why']})")


if __name__ == "__main__":
    main()
