"""Command line: ``python -m engine recommend|compare DATA.csv ... --json`` (DESIGN.md §4).

Success prints one JSON object on stdout and exits 0. Unusable input prints
one ``error:`` line on stderr and exits 2; nothing is written anywhere.

``compare --report OUT.html`` also writes the self-contained HTML report
(:mod:`engine.share.report`) and still prints the JSON.

``python -m engine track-record [--json] [--datasets A.csv ...]`` runs
recommend + compare over the sample datasets (or the given files) and prints
how often the advice matched the measurement (see :mod:`engine.evidence.track_record`);
``--corpus [--split development|sealed|all] [--quick | --only NAME ...] [--jobs N]
[--results FILE.jsonl]`` runs the benchmark corpus, appending one JSON line per
finished dataset (resumed when rerun), and prints the scored figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, NoReturn


from engine.common import thresholds as th
from engine.io.data import DataError
from engine.executors import JobFailed
from engine.io.json_safe import json_safe
from engine.registry import dl_model_keys, ml_model_keys, no_usable_feature

EXIT_USAGE = 2
EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one ``error:`` line, exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engine", description="ML vs DL Advisor: recommend, then measure.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("data", help="path to the data: a CSV file, or another format a data kind reads")
        sub.add_argument("--target", help="target column (default: the guessed target)")
        sub.add_argument("--transparency", choices=["low", "medium", "high"], help="how much the decisions must be explained")
        sub.add_argument("--gpu", action="store_true", default=None, help="a GPU is available for training")
        sub.add_argument("--json", action="store_true", help="print one JSON object (the only output format)")

    recommend = commands.add_parser("recommend", help="recommend classic ML or deep learning from the criteria")
    common(recommend)
    compare = commands.add_parser("compare", help="train both families on one split and compare them")
    common(compare)
    compare.add_argument("--seed", type=_seed, default=0, help="random seed for the split and both models (0 to 2**31 - 1)")
    compare.add_argument(
        "--max-seconds", type=_positive_float, default=th.DEFAULT_MAX_SECONDS,
        help="time budget for the whole run from start-up: loading, training both families and SHAP share it "
        "(ends within it plus engine.common.limits.DEADLINE_OVERHEAD_SECONDS)",
    )
    compare.add_argument("--shap-rows", type=_positive_int, default=th.DEFAULT_SHAP_ROWS, help="test rows to explain with SHAP")
    compare.add_argument(
        "--ml-model", choices=["auto", *ml_model_keys()], default="auto",
        help="the classic ML model (auto: the data kind's default, e.g. boosting for tables)",
    )
    compare.add_argument(
        "--dl-model", choices=["auto", *dl_model_keys()], default="auto",
        help="the deep-learning model (auto: the data kind's default, e.g. mlp for tables)",
    )
    compare.add_argument(
        "--explainer", choices=["fast", "shared"], default="fast",
        help="fast: each model's fastest exact SHAP explainer; shared: one SHAP definition for both "
        "(same background rows, same masker, same raw scale)",
    )
    compare.add_argument(
        "--report", metavar="OUT.html", help="also write a self-contained HTML report there (the JSON is still printed)"
    )
    track = commands.add_parser("track-record", help="recommend + compare over sample datasets: how often was the advice right?")
    track.add_argument("--datasets", nargs="+", metavar="CSV", help="CSV files (default: every file in sample_data/)")
    track.add_argument("--corpus", action="store_true",
                       help="run the benchmark corpus (benchmarks/corpus/manifest.toml; build it first: python -m benchmarks.corpus) "
                       "and write its results (JSON + CSV)")
    track.add_argument("--quick", action="store_true", help="with --corpus: only the entries marked quick")
    track.add_argument("--only", nargs="+", metavar="NAME", help="with --corpus: only these entries")
    track.add_argument("--split", choices=["development", "sealed", "all"], default=None,
                       help="with --corpus: the part of the sealed split to run (the sealed part: once per release, code "
                            "frozen; default all)")
    track.add_argument("--results", metavar="FILE",
                       help="with --corpus: the JSON-lines results file, appended per dataset and resumed (default "
                       "benchmarks/corpus/results-<split>.jsonl for a whole part, benchmarks/corpus/.cache/results-subset.jsonl "
                       "for --quick, --only or --split all)")
    track.add_argument("--jobs", type=_positive_int, default=1, help="datasets run in parallel worker processes")
    track.add_argument("--seeds", type=_positive_int, default=1, help="seeds per dataset (their splits pooled into one test: one winner, interval and p-value)")
    track.add_argument("--seed", type=_seed, default=0, help="random seed for each comparison (0 to 2**31 - 1)")
    track.add_argument("--max-seconds", type=_positive_float, default=None,
                       help=f"time budget per comparison (default {th.DEFAULT_MAX_SECONDS:g}; {th.CORPUS_MAX_SECONDS:g} with --corpus)")
    track.add_argument("--shap-rows", type=_positive_int, default=None,
                       help=f"test rows to explain per dataset (default {th.TRACK_RECORD_SHAP_ROWS}; {th.CORPUS_SHAP_ROWS} with --corpus)")
    track.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if getattr(args, "transparency", None):
        from engine.advice.recommend import Transparency

        overrides["transparency"] = Transparency(args.transparency)
    if getattr(args, "gpu", None):
        overrides["gpu"] = True
    job_log = logging.getLogger("engine.executors.local")
    if not os.environ.get("ENGINE_DEBUG") and not any(isinstance(h, logging.NullHandler) for h in job_log.handlers):
        # An in-process job logs an unexpected failure with its traceback (for a server's log); without a handler
        # Python printed it to stderr above the one error line. As for every internal error: ENGINE_DEBUG=1 shows it.
        job_log.addHandler(logging.NullHandler())
    try:
        with _stdout_to_stderr():
            payload = _run(args, overrides)
    except DataError as error:
        print(f"error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except JobFailed as error:  # its worker died, say: not the input's fault, and not a traceback either
        hint = "; set ENGINE_DEBUG=1 to see its traceback" if error.logged else ""
        print(f"error: {_one_line(str(error))}{hint}", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as error:  # noqa: BLE001 - a CLI must not show tracebacks
        if os.environ.get("ENGINE_DEBUG"):
            raise
        print(f"error: internal error ({type(error).__name__}: {_one_line(str(error))}); set ENGINE_DEBUG=1 for details", file=sys.stderr)
        return EXIT_INTERNAL
    if args.command == "track-record" and not args.json:
        from engine.evidence.track_record import format_table

        sys.stdout.write(format_table(payload) + "\n")
    else:
        sys.stdout.write(json.dumps(json_safe(payload), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


def _run(args: argparse.Namespace, overrides: dict[str, Any]) -> dict[str, Any]:
    if args.command == "track-record":
        return _track_record(args)

    from engine.io.dataset import load_dataset_path
    from engine.advice.recommend import timed_advise
    from engine.profile.leakage import leak_note

    start = time.perf_counter()
    deadline = None
    if args.command == "compare":
        from engine.measure import preload
        from engine.measure.deadline import Deadline
        from engine.common.limits import max_train_seconds
        from engine.executors import configured_address

        try:  # an hour on a Ray cluster, ten minutes here, unless ADVISOR_MAX_TRAIN_SECONDS says otherwise
            cap = max_train_seconds(on_cluster=configured_address() is not None)
        except ValueError as error:
            raise DataError(str(error)) from None
        preload.start(set_torch_threads=True)  # torch, shap and LightGBM import while the file is read and profiled
        deadline = Deadline(min(args.max_seconds, cap), start=start)
    dataset = load_dataset_path(args.data)
    load_seconds = time.perf_counter() - start
    if args.command == "recommend":
        stages = {"load": load_seconds}
        advice = timed_advise(dataset.frame, args.target, stages, **overrides)
        # Additions to DESIGN.md §4: "notes", what the loader repaired, one sentence each; "stage_seconds", where
        # the time went (load, profile, recommend), as compare reports it.
        notes = list(dataset.notes)
        if (leaks := leak_note(advice.profile.suspected_leaks, advice.profile.target)) is not None:
            notes.append(leaks)
        notes += [advice.profile.left_out_note] if advice.profile.left_out_note else []
        if (unusable := no_usable_feature(advice.profile)) is not None:  # the criteria still answer; training cannot
            notes.append(f"{unusable}: compare would refuse this table, so the advice has nothing to be measured on")
        return advice.to_dict() | {"notes": notes, "stage_seconds": stages}
    from engine import executors
    from engine.executors.jobs import ComparisonJob

    report = _report_path(args.report)
    executor = executors.current()  # in-process unless ADVISOR_RAY_ADDRESS names a cluster
    job = ComparisonJob(
        dataset, args.target, seed=args.seed, max_seconds=args.max_seconds, shap_rows=args.shap_rows,
        ml_kind=args.ml_model, dl_kind=args.dl_model, explainer=args.explainer, overrides=overrides,
        clock_seconds=deadline.remaining() if deadline is not None else None,
    )
    result = executors.run_to_end(job, executor).result
    result.stage_seconds = {"load": load_seconds} | result.stage_seconds
    if report is not None:
        from engine.share.report import report_html

        try:
            report.write_text(report_html(result), encoding="utf-8")
        except OSError as error:
            raise DataError(f"cannot write the report {report}: {error.strerror or error}") from None
    return result.to_dict()


def _track_record(args: argparse.Namespace) -> dict[str, Any]:
    """``track-record``: the sample datasets (or files given), or the corpus with its results files."""
    from engine.evidence.track_record import corpus_track_record, track_record

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.corpus:
        if args.quick or args.only or args.results or args.split:  # --split sealed ran the sample datasets, silently
            raise DataError("--quick, --only, --split and --results go with --corpus")
        return track_record(args.datasets, seed=args.seed, max_seconds=args.max_seconds or th.DEFAULT_MAX_SECONDS,
                            shap_rows=args.shap_rows or th.TRACK_RECORD_SHAP_ROWS, seeds=args.seeds, jobs=args.jobs,
                            progress=progress).to_dict()
    if args.datasets:
        raise DataError("--datasets and --corpus cannot be combined")
    from engine.evidence.corpus import CACHE_DIR, load_manifest, select_entries
    from engine.evidence import track_record as tr
    from engine.evidence.track_record import format_score, results_path_for, score

    args.split = args.split or "all"
    if args.split == "sealed" and tr.git_state()[1] is not False:
        raise DataError("the sealed part runs only with the code frozen: commit your changes first (git status shows them), "
                        "so its results name the commit they measure")
    entries = select_entries(load_manifest(), args.only, args.quick, args.split)
    whole = not (args.only or args.quick) and args.split != "all"
    results = Path(args.results) if args.results else (results_path_for(args.split) if whole else CACHE_DIR / "results-subset.jsonl")
    if results.suffix != ".jsonl":
        raise DataError(f"--results must name a .jsonl file (one JSON line per dataset), not {results.name}")
    max_seconds = args.max_seconds or th.CORPUS_MAX_SECONDS
    run_info = {"split": args.split, "entries": [e.name for e in entries], "whole_part": whole,
                "whole_corpus": not (args.only or args.quick) and args.split == "all", "seeds": args.seeds,
                "jobs": args.jobs, "seed": args.seed, "max_seconds": max_seconds,
                "shap_rows": args.shap_rows or th.CORPUS_SHAP_ROWS}
    record = corpus_track_record(entries, seed=args.seed, max_seconds=max_seconds,
                                 shap_rows=args.shap_rows or th.CORPUS_SHAP_ROWS, seeds=args.seeds, jobs=args.jobs,
                                 progress=progress, results=results, run_info=run_info)
    payload = record.to_dict()
    payload["run"] = run_info | {"created_at": _now(), "results": str(results)}
    payload["score"] = score(record.records)
    payload["score_all_origins"] = score(record.records, real_only=False)
    progress(f"results appended to {results}")
    progress(format_score(payload["score"], f"{args.split} part, real data"))
    return payload


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _report_path(path: str | None) -> Path | None:
    """The report's path, checked before training: its folder must exist."""
    if path is None:
        return None
    if not path.strip():  # Path("") is the current folder: "cannot write the report : it is a folder"
        raise DataError("--report needs a file name, e.g. --report report.html")
    report = Path(path)
    if not report.parent.is_dir():
        raise DataError(f"cannot write the report {path}: folder {report.parent} does not exist")
    if report.is_dir():
        raise DataError(f"cannot write the report {path}: it is a folder")
    return report


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Keep stdout for the JSON alone: libraries (LightGBM's C++ core) print to fd 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown problem"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def _seed(text: str) -> int:
    from engine.common import limits

    try:
        return limits.check_seed(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 0 to {limits.MAX_SEED:,}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


if __name__ == "__main__":
    import gc

    # What the imports made (pandas, numpy, the engine: a few hundred thousand objects) lives until exit, yet every
    # older-generation collection walks it again: 0.1 s of `recommend` on 100,000 rows. Frozen, collections skip it.
    # engine/__init__.py left collecting off for this moment (it does so only for `python -m engine`); a new
    # interpreter always starts with it on, so it is switched on again here.
    gc.freeze()
    gc.enable()
    exit_code = main()
    # The output is written and every file closed. At exit Python collects every object once more: with pandas
    # loaded that walk took 0.2 s of a 2 s `recommend`. Frozen objects are skipped by it and their memory is
    # the operating system's to reclaim a moment later; objects not in a cycle are still freed as before.
    gc.freeze()
    raise SystemExit(exit_code)
