"""``python -m benchmarks.wide [--rows N] [--columns N] [--json PATH]``: a wide table, end to end.

One ``python -m engine compare TABLE.csv --max-seconds 60 --shap-rows 20 --report OUT.html --json``
child process on 300 rows x 10,000 numeric columns (gene-expression shaped: a yes/no target
driven by three of them), timed from start to exit with its peak RSS, and each stage's seconds
as the run records them. Budgets: the run ends within its 60 s plus
engine.common.limits.DEADLINE_OVERHEAD_SECONDS and the report-writing allowance below, and its peak
memory stays within WIDE_PEAK_RSS_BYTES (the issue's 2 GB). Exits 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness import PYTHON, run_child
from engine.common import limits

WIDE_ROWS = 300
WIDE_COLUMNS = 10_000
WIDE_MAX_SECONDS = 60.0
#: Writing the HTML report after the run (its figures and the embedded Plotly library).
REPORT_SECONDS = 5.0
WIDE_PEAK_RSS_BYTES = 2 * 2**30
CHILD_TIMEOUT_SECONDS = 900


def write_table(rows: int, columns: int, directory: Path) -> Path:
    path = directory / f"wide_{rows}x{columns}.csv"
    rng = np.random.default_rng(0)
    values = rng.normal(size=(rows, columns - 1)).round(4)
    frame = pd.DataFrame(values, columns=[f"gene_{i}" for i in range(columns - 1)])
    frame["target"] = np.where(values[:, 0] + values[:, 1] - values[:, 2] + 0.5 * rng.normal(size=rows) > 0, "yes", "no")
    frame.to_csv(path, index=False)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.wide", description=__doc__.split("\n\n")[1])
    parser.add_argument("--rows", type=int, default=WIDE_ROWS)
    parser.add_argument("--columns", type=int, default=WIDE_COLUMNS)
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="benchmarks-wide-") as scratch:
        path = write_table(args.rows, args.columns, Path(scratch))
        report = Path(scratch) / "report.html"
        options = ["--max-seconds", f"{WIDE_MAX_SECONDS:g}", "--shap-rows", "20", "--report", str(report)]
        child = run_child([PYTHON, "-m", "engine", "compare", str(path), *options, "--json"], CHILD_TIMEOUT_SECONDS)
        summary: dict = {"table": f"{args.rows} x {args.columns}", "seconds": round(child.seconds, 1),
                         "peak_rss_gb": round(child.peak_rss_bytes / 2**30, 2), "exit": child.returncode}
        if child.ok:
            payload = child.json()
            summary |= {"stage_seconds": {k: round(v, 2) for k, v in payload["stage_seconds"].items()},
                        "notes": payload["notes"], "budget_stops": payload["budget"]["cut_short"],
                        "rows_explained": payload["explanations"]["rows_explained"],
                        "report_mb": round(report.stat().st_size / 2**20, 1) if report.exists() else None}
        else:
            summary["error"] = (child.stderr.strip().splitlines() or ["no output"])[-1]
    limit = WIDE_MAX_SECONDS + limits.DEADLINE_OVERHEAD_SECONDS + REPORT_SECONDS
    passed = summary["exit"] == 0 and summary["seconds"] <= limit and child.peak_rss_bytes <= WIDE_PEAK_RSS_BYTES
    print(f"{'met ' if passed else 'MISSED'} compare {summary['table']}: {summary['seconds']} s (<= {limit:g} s), "
          f"peak {summary['peak_rss_gb']} GiB (<= {WIDE_PEAK_RSS_BYTES / 2**30:g} GiB)")
    print(f"{'stage':<24}{'seconds':>10}")
    for stage, seconds in summary.get("stage_seconds", {}).items():
        print(f"{stage:<24}{seconds:>10.2f}")
    for line in summary.get("notes", []) + summary.get("budget_stops", []):
        print(f"  note: {line}")
    if "error" in summary:
        print(f"  {summary['error']}")
    if args.json:
        args.json.write_text(json.dumps({"passed": passed, **summary}, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
