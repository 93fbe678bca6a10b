"""``python -m benchmarks.formats [--repeats N] [--scale S]``

Times the upload of one seeded table in each format the product reads besides CSV (Parquet, JSON Lines, a
JSON array, Stata, SPSS, an Excel workbook) through ``engine.io.dataset.load_dataset_bytes``, next to the
format's own reader alone (pandas, pyreadstat or calamine, which leave dates and labels as they find them),
and checks that every format reads back the same table as the CSV of the same rows. Prints a table and exits
1 when a budget is missed or a format reads differently.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from benchmarks.loading import median_seconds
from engine.io.dataset import load_dataset_bytes

#: Seconds for the upload of each format (median of the repeats), about twice what each took when set
#: (2026-12-04, this machine, 2 cores): Parquet of 1,000,000 rows 2.62 s, JSON Lines of 200,000 rows 0.60 s, a
#: JSON array of 20,000 records 0.20 s, Stata of 200,000 rows 1.40 s, SPSS of 200,000 rows 1.80 s, a workbook
#: of 50,000 rows 1.06 s. Most of it is the CSV reader's typing and repairs, which the library column lacks. Stata
#: and SPSS take 0.62 and 0.89 s since they are written out through Arrow, as Parquet and JSON are.
BUDGETS = {"Parquet": 5.5, "JSON Lines": 1.5, "JSON array": 0.5, "Stata": 3.0, "SPSS": 3.5, "Excel workbook": 2.5}
ROWS = {"Parquet": 1_000_000, "JSON Lines": 200_000, "JSON array": 20_000, "Stata": 200_000, "SPSS": 200_000,
        "Excel workbook": 50_000}
SEED = 0


def table(rows: int, seed: int = SEED) -> pd.DataFrame:
    """Twelve columns as uploads have them: numbers with missing values, categories, dates, a binary target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=rows).round(4) for i in range(6)})
    frame.loc[rng.random(rows) < 0.05, "x0"] = np.nan
    frame["age"] = rng.integers(18, 90, rows)
    frame["region"] = rng.choice(["north", "south", "east", "west"], rows)
    frame["plan"] = rng.choice(["basic", "plus", "pro"], rows)
    frame["joined"] = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3_000, rows), unit="D")
    frame["score"] = rng.gamma(2.0, 3.0, rows).round(2)
    frame["churned"] = rng.choice(["yes", "no"], rows)
    return frame


def written(fmt: str, frame: pd.DataFrame) -> bytes:
    """``frame`` as a file of format ``fmt``, as the tools people use write it."""
    buffer = io.BytesIO()
    if fmt == "Parquet":
        frame.to_parquet(buffer)
    elif fmt == "JSON Lines":
        frame.to_json(buffer, orient="records", lines=True, date_format="iso")
    elif fmt == "JSON array":
        frame.to_json(buffer, orient="records", date_format="iso")
    elif fmt == "Stata":
        frame.to_stata(buffer, write_index=False, version=118)
    elif fmt == "SPSS":
        import pyreadstat

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "table.sav"
            pyreadstat.write_sav(frame, str(path))
            return path.read_bytes()
    elif fmt == "Excel workbook":
        frame.to_excel(buffer, index=False)
    else:
        raise ValueError(fmt)
    return buffer.getvalue()


def library_reader(fmt: str) -> Callable[[bytes], object]:
    """The format's own reader alone, for scale."""
    if fmt == "Parquet":
        return lambda raw: pd.read_parquet(io.BytesIO(raw))
    if fmt == "JSON Lines":
        return lambda raw: pd.read_json(io.BytesIO(raw), lines=True)
    if fmt == "JSON array":
        return lambda raw: pd.DataFrame(json.loads(raw))
    if fmt == "Stata":
        return lambda raw: pd.read_stata(io.BytesIO(raw))
    if fmt == "SPSS":
        def spss(raw: bytes) -> object:
            import pyreadstat

            with tempfile.NamedTemporaryFile(suffix=".sav") as file:
                file.write(raw)
                file.flush()
                return pyreadstat.read_sav(file.name)[0]
        return spss
    if fmt == "Excel workbook":
        def calamine(raw: bytes) -> object:
            from python_calamine import CalamineWorkbook

            return CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
        return calamine
    raise ValueError(fmt)


def measure(fmt: str, rows: int, repeats: int) -> dict[str, object]:
    """The upload's and the library's median seconds for ``fmt``, and whether it reads as the CSV of its rows."""
    frame = table(rows)
    raw = written(fmt, frame)
    as_csv = load_dataset_bytes("table.csv", frame.to_csv(index=False, date_format="%Y-%m-%d").encode()).frame
    read = load_dataset_bytes(f"table.{fmt.lower()}", raw).frame
    same = list(read.columns) == list(as_csv.columns) and all(_same_column(read[c], as_csv[c]) for c in as_csv.columns)
    seconds = median_seconds(lambda: load_dataset_bytes(f"table.{fmt.lower()}", raw), repeats)
    library = median_seconds(lambda: library_reader(fmt)(raw), repeats)
    return {"format": fmt, "rows": rows, "mib": round(len(raw) / 2**20, 2), "seconds": round(seconds, 2),
            "library_seconds": round(library, 2), "ratio": round(seconds / max(library, 1e-6), 1),
            "same_as_csv": same, "budget_seconds": BUDGETS[fmt]}


def _same_column(read: pd.Series, expected: pd.Series) -> bool:
    """The same type and values (numbers as numbers: -0.0 is 0.0, missing is missing)."""
    if str(read.dtype) != str(expected.dtype):
        return False
    if pd.api.types.is_numeric_dtype(expected):
        return bool(np.array_equal(read.to_numpy(float), expected.to_numpy(float), equal_nan=True))
    return bool(read.astype(str).equals(expected.astype(str)))


def passed(result: dict[str, object]) -> bool:
    return bool(result["same_as_csv"]) and float(result["seconds"]) <= float(result["budget_seconds"])  # type: ignore[arg-type]


def render(results: list[dict[str, object]]) -> str:
    header = f"{'format':<15} {'rows':>9} {'MiB':>6} {'upload s':>9} {'library s':>10} {'ratio':>6} {'as CSV':>7} {'budget s':>9}  result"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r['format']:<15} {r['rows']:>9,} {r['mib']:>6} {r['seconds']:>9} {r['library_seconds']:>10} "
                     f"{r['ratio']:>6} {'same' if r['same_as_csv'] else 'DIFFERS':>7} {r['budget_seconds']:>9}  "
                     f"{'met' if passed(r) else 'MISSED'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.formats", description=__doc__.split("\n\n")[1])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (medians are reported)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every format's rows")
    args = parser.parse_args(argv)
    results = [measure(fmt, max(20, int(rows * args.scale)), args.repeats) for fmt, rows in ROWS.items()]
    print(render(results))
    missed = [r["format"] for r in results if not passed(r)]
    print("\n" + (f"MISSED: {', '.join(map(str, missed))}" if missed else
                  f"all budgets met (medians of {args.repeats}; the library column reads the file alone, "
                  "without the product's typing and notes)"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
