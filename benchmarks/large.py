"""``python -m benchmarks.large [--data-dir DIR] [--json PATH]``: large data and the time budget.

Two checks, each one ``python -m engine compare ... --json`` child process timed
from start to exit with its peak RSS (as in ``python -m benchmarks``):

- 1,000,000 x 20 (the mixed table of benchmarks/datasets.py, numbers written to
  4 decimals so the file, ~165 MB, is under the 200 MB upload limit) with the
  default options: within COMPARE_1M_SECONDS and COMPARE_1M_PEAK_RSS_BYTES,
  saying what it sampled;
- 100,000 x 20 with ``--max-seconds 10``: within 10 s plus
  engine.common.limits.DEADLINE_OVERHEAD_SECONDS, end to end.

Exits 1 when a budget is missed. Writing the million-row table takes about half
a minute the first time (kept in ``--data-dir`` if given).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from benchmarks import budgets as b
from benchmarks.datasets import make_mixed_table
from benchmarks.harness import PYTHON, run_child
from engine.common import limits


def write_table(rows: int, directory: Path) -> Path:
    path = directory / f"mixed_{rows}x{b.COLUMNS}_4dp.csv"
    if not path.exists():
        make_mixed_table(rows).to_csv(path, index=False, float_format="%.4f")
    return path


def run(path: Path, *options: str) -> dict:
    child = run_child([PYTHON, "-m", "engine", "compare", str(path), *options, "--json"], b.CHILD_TIMEOUT_SECONDS)
    summary = {"command": " ".join(["compare", path.name, *options]), "seconds": round(child.seconds, 1),
               "peak_rss_gb": round(child.peak_rss_bytes / 1e9, 2), "exit": child.returncode}
    if child.ok:
        payload = child.json()
        summary |= {
            "split": payload["split"], "notes": payload["notes"],
            "stage_seconds": {k: round(v, 2) for k, v in payload["stage_seconds"].items()},
            "accuracy": {f: round(payload["models"][f]["metrics"]["accuracy"], 4) for f in ("ml", "dl")},
            "rows_explained": payload["explanations"]["rows_explained"],
        }
    else:
        summary["error"] = (child.stderr.strip().splitlines() or ["no output"])[-1]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.large", description=__doc__.split("\n\n")[1])
    parser.add_argument("--data-dir", type=Path, help="where to write (and keep) the tables")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    checks = []
    with tempfile.TemporaryDirectory(prefix="benchmarks-large-") as scratch:
        directory = args.data_dir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        big = run(write_table(b.LARGE_ROWS, directory))
        checks.append(("compare 1,000,000 x 20, default options", big,
                       big["exit"] == 0 and big["seconds"] <= b.COMPARE_1M_SECONDS
                       and big["peak_rss_gb"] * 1e9 <= b.COMPARE_1M_PEAK_RSS_BYTES,
                       f"<= {b.COMPARE_1M_SECONDS:g} s and <= {b.COMPARE_1M_PEAK_RSS_BYTES / 1e9:g} GB"))
        bounded = run(write_table(b.DEADLINE_ROWS, directory), "--max-seconds", f"{b.DEADLINE_SECONDS:g}")
        limit = b.DEADLINE_SECONDS + limits.DEADLINE_OVERHEAD_SECONDS
        checks.append((f"compare 100,000 x 20 --max-seconds {b.DEADLINE_SECONDS:g}", bounded,
                       bounded["exit"] == 0 and bounded["seconds"] <= limit, f"<= {limit:g} s"))
    for name, summary, passed, budget in checks:
        print(f"{'met ' if passed else 'MISSED'} {name}: {summary['seconds']} s, peak {summary['peak_rss_gb']} GB ({budget})")
        for note in summary.get("notes", []):
            print(f"       note: {note}")
        if "error" in summary:
            print(f"       {summary['error']}")
        print(f"       stages: {summary.get('stage_seconds')}, accuracy {summary.get('accuracy')}")
    if args.json:
        args.json.write_text(json.dumps([{"check": n, "passed": p, "budget": bud, **s} for n, s, p, bud in checks], indent=2))
    return 0 if all(passed for _, _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
