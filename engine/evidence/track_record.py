"""The advisor's own track record: was the criteria-based advice confirmed by measurement?

For each dataset, :func:`track_record` runs the same flow as the command line
(:func:`engine.run.pipeline.compare`, which recommends first) and records the
recommendation, the measured winner with its margin, and whether the two
agreed (``ComparisonResult.agreed_with_recommendation``). Where the advice was
wrong, it names the criterion that pulled hardest toward the wrong side: the
largest signed contribution (``Criterion.contribution``, negative = classic
ML) toward the recommended family, or, for a close call that turned out not
to be close, toward the family that lost.

Thresholds are not tuned here: the sample datasets are a check of the
published thresholds in :mod:`engine.common.thresholds`, not a training set for them.

The corpus run (issue 17) appends one JSON line per finished dataset to its
results file (``results-development.jsonl`` / ``results-sealed.jsonl``), each
with the commit it ran at and whether the tree was dirty, so an interrupted
run resumes where it stopped. :func:`score` turns the lines into the figures:
per dataset the outcome and the **regret** (points of the verdict metric lost
by following the advice instead of the measured winner); overall exact hit
rates (a tie is its own outcome, so only "train both" matches it) and
decisive-only ones with Wilson intervals, regret, compute, the same for the
constant advisors, an exact McNemar (sign) test against the best constant, a
reliability table and the Brier score of the advice's confidence.
Variants tried on the development part go to the calibration journal
(:func:`log_variant`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from engine.common import thresholds as th
from engine.evidence.corpus import CorpusEntry
from engine.io.data import DataError
from engine.io.dataset import load_dataset_path
from engine.io.samples import sample_paths
from engine.advice.recommend import Criterion
from engine.common.wording import count

__all__ = ["DatasetRecord", "TrackRecord", "track_record", "corpus_track_record", "misleading_criterion", "sample_datasets",
           "format_table", "summarise", "wilson_interval", "agrees", "write_results", "progress_line", "NAIVE_ADVISORS",
           "load_results", "record_from_run", "CONSTANT_ADVISORS", "score", "regret_points", "hit", "mcnemar_exact",
           "reliability_table", "git_state", "measured_code_changed", "MEASURED_CODE", "read_results_lines", "append_result",
           "results_path_for", "log_variant",
           "read_journal", "JOURNAL_PATH", "format_score", "records_of", "constant_choice", "plain_verdict", "compute_seconds",
           "journal_rows", "describe_params", "dataset_rows", "advisor_table", "size_band", "SIZE_BANDS", "OUTCOME_NAMES",
           "RESULTS_FILES"]


@dataclass
class DatasetRecord:
    """One dataset's advice against its measurement (``error`` set when it could not be compared)."""

    dataset: str
    rows: int | None = None
    task: str | None = None
    recommendation: str | None = None
    confidence: float | None = None
    winner: str | None = None
    metric: str | None = None
    ml_score: float | None = None
    dl_score: float | None = None
    margin: float | None = None  # ML minus DL in the verdict metric (the mean over the pooled splits when several)
    agreed: bool | None = None
    misled_by: str | None = None
    misled_by_contribution: float | None = None
    seconds: float = 0.0
    error: str | None = None
    # Added with the corpus (issue 12); all optional, so older results files still read.
    kind: str | None = None  # the data kind the registry chose
    declared_kind: str | None = None  # the kind the corpus manifest says
    source: str | None = None
    target: str | None = None
    target_guess: str | None = None
    target_guessed: bool | None = None
    interval_low: float | None = None  # with several seeds: of the one test over all their splits
    interval_high: float | None = None
    splits: int | None = None
    method: str | None = None
    p_value: float | None = None  # with several seeds: of the one test over all their splits
    conclusive: bool | None = None
    seeds: int = 1
    seed_winners: list[str] = field(default_factory=list)
    seed_margins: list[float] = field(default_factory=list)
    expected: str | None = None  # the family a synthetic generator was built to favour
    pending: str | None = None  # why the entry was not run (its data kind is not on this branch yet)
    # Added with the sealed corpus (issue 17); optional, so older results still read.
    group: str | None = None  # the manifest's source group
    split: str | None = None  # "development" or "sealed"
    origin: str | None = None  # "real", "simulated" or "generated"; only real data enters the headline
    commit: str | None = None  # the code's commit when this dataset ran
    dirty: bool | None = None  # whether the tree had uncommitted changes then
    ml_seconds: float | None = None  # training time of each family (the compute "train both" pays)
    dl_seconds: float | None = None
    ml_model: str | None = None
    dl_model: str | None = None
    split_differences: list[float] = field(default_factory=list)
    finished_at: str | None = None
    fair: bool | None = None  # False: a side was cut short or starved (winner "unfair"); never judged
    max_seconds: float | None = None  # the time budget of each comparison
    cpu_seconds: float | None = None  # CPU time of the process that ran it (all its threads): wall time on a busy machine misleads
    unfair_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @property
    def judged(self) -> bool:
        """Compared, and neither model flagged (an inconclusive verdict tests nothing)."""
        return self.agreed is not None and self.conclusive is not False


@dataclass
class TrackRecord:
    records: list[DatasetRecord] = field(default_factory=list)

    @property
    def judged(self) -> list[DatasetRecord]:
        return [r for r in self.records if r.judged]

    @property
    def agreement_rate(self) -> float | None:
        """Share of judged datasets where the measurement agreed with the advice (ties agree)."""
        judged = self.judged
        return sum(bool(r.agreed) for r in judged) / len(judged) if judged else None

    def to_dict(self) -> dict[str, Any]:
        judged = self.judged
        return {
            "datasets": [r.to_dict() for r in self.records],
            "agreed": sum(1 for r in judged if r.agreed),
            "compared": len(judged),
            "agreement_rate": self.agreement_rate,
            "rule": "agreed when the recommended family won or tied; a close call agrees only with a tie",
            "summary": summarise(self.records),
        }


def wilson_interval(hits: int, n: int, confidence: float = th.CONFIDENCE_LEVEL) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it for small n)."""
    if n == 0:
        return None
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(hits: int, n: int) -> dict[str, Any]:
    interval = wilson_interval(hits, n)
    return {"hits": hits, "n": n, "rate": hits / n if n else None, "interval": list(interval) if interval else None}


def agrees(choice: str, winner: str) -> bool:
    """The track record's rule: the recommended family won or tied; a close call agrees only with a tie."""
    return winner == "tie" if choice == "either" else winner in (choice, "tie")


NAIVE_ADVISORS = {"always_ml": "ml", "always_dl": "dl", "always_train_both": "either"}


def summarise(records: list[DatasetRecord]) -> dict[str, Any]:
    """Hit rates with Wilson intervals: the advisor's and the naive advisors', ties agreeing and decisive only.

    Over judged datasets (compared, no model flagged). "Decisive only" keeps the
    datasets whose measurement named a winner; there a hit is advising that
    winner, so "always train both" never hits.
    """
    judged = [r for r in records if r.judged]
    decisive = [r for r in judged if r.winner != "tie"]
    summary: dict[str, Any] = {
        "judged": len(judged),
        "decisive": len(decisive),
        "ties": len(judged) - len(decisive),
        "inconclusive": sum(1 for r in records if r.agreed is not None and r.conclusive is False),
        "errors": sum(1 for r in records if r.error),
        "pending": sum(1 for r in records if r.pending),
        "advisor": {
            "ties_agree": _rate(sum(agrees(r.recommendation or "", r.winner or "") for r in judged), len(judged)),
            "decisive_only": _rate(sum(r.recommendation == r.winner for r in decisive), len(decisive)),
        },
        "naive": {
            name: {
                "ties_agree": _rate(sum(agrees(choice, r.winner or "") for r in judged), len(judged)),
                "decisive_only": _rate(sum(choice == r.winner for r in decisive), len(decisive)),
            }
            for name, choice in NAIVE_ADVISORS.items()
        },
    }
    guessed = [r for r in records if r.target_guessed is not None]
    summary["target_guess"] = _rate(sum(bool(r.target_guessed) for r in guessed), len(guessed))
    return summary


def sample_datasets() -> list[Path]:
    """The bundled sample datasets, sorted by name."""
    return sample_paths()


def misleading_criterion(criteria: Iterable[Criterion], recommendation: str, winner: str) -> Criterion | None:
    """The criterion that pulled hardest toward the wrong side, or None when the advice held.

    Wrong side: the recommended family when the other one won; for a close
    call ("either") that was not a tie, the family that lost.
    """
    if recommendation == "either":
        if winner == "tie":
            return None
        wrong_side = "dl" if winner == "ml" else "ml"
    else:
        if winner in (recommendation, "tie"):
            return None
        wrong_side = recommendation
    sign = 1.0 if wrong_side == "dl" else -1.0
    pulling = [c for c in criteria if sign * c.contribution > 0]
    return max(pulling, key=lambda c: sign * c.contribution) if pulling else None


@dataclass(frozen=True)
class _Job:
    """One dataset to run (picklable, for worker processes)."""

    name: str
    path: str
    target: str | None = None
    entry: CorpusEntry | None = None


def track_record(
    datasets: Iterable[str | Path] | None = None,
    *,
    seed: int = 0,
    max_seconds: float = th.DEFAULT_MAX_SECONDS,
    shap_rows: int = th.TRACK_RECORD_SHAP_ROWS,
    seeds: int = 1,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> TrackRecord:
    """Recommend, then compare, on each dataset (default: every sample dataset)."""
    paths = [Path(p) for p in datasets] if datasets is not None else sample_datasets()
    return _run([_Job(p.name, str(p)) for p in paths], seed, max_seconds, shap_rows, seeds, jobs, progress)


def corpus_track_record(
    entries: list[CorpusEntry],
    *,
    cache: Path | None = None,
    seed: int = 0,
    max_seconds: float = th.CORPUS_MAX_SECONDS,
    shap_rows: int = th.CORPUS_SHAP_ROWS,
    seeds: int = 1,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
    results: Path | None = None,
    run_info: dict[str, Any] | None = None,
) -> TrackRecord:
    """The track record over corpus entries (built by ``python -m benchmarks.corpus build``), on their known targets.

    With ``results`` (a JSON-lines file) each dataset's record is appended as
    it finishes and the datasets already there are not run again, so an
    interrupted run resumes; the returned record holds them all, in entry
    order. An entry whose data kind is not registered on this branch is
    recorded as pending, not run; its target guess is still measured.
    """
    from engine.evidence.corpus import CACHE_DIR, entry_path

    done: dict[str, DatasetRecord] = {}
    if results is not None:
        _drop_torn_tail(Path(results))
        _, previous = read_results_lines(results) if Path(results).is_file() else ({}, [])
        # Finished means a fair verdict: an unfair one ("retrain with a larger time budget"), an error or a pending
        # kind is tried again, and its new line supersedes the old one.
        done = {r.dataset: r for r in previous if r.winner not in (None, "unfair") and not r.error}
        if not Path(results).is_file():
            _write_header(Path(results), run_info or {})
    # Smallest first: an interrupted run has then covered the most datasets, and the slow large ones come last.
    todo = sorted((e for e in entries if e.name not in done), key=lambda e: e.rows)
    if done:
        (progress or (lambda line: None))(f"{len(done)} dataset(s) already in {results}: resuming with the other {len(todo)}")
    jobs_list = [_Job(e.name, str(entry_path(e, cache or CACHE_DIR)), e.target, e) for e in todo]
    commit, dirty = git_state()

    def finished(record: DatasetRecord) -> None:
        record.commit, record.dirty = commit, dirty
        record.finished_at = _now()
        if results is not None:
            append_result(results, record)

    ran = _run(jobs_list, seed, max_seconds, shap_rows, seeds, jobs, progress, finished)
    by_name = done | {r.dataset: r for r in ran.records}
    return TrackRecord([by_name[e.name] for e in entries if e.name in by_name])


def _run(jobs_list: list[_Job], seed: int, max_seconds: float, shap_rows: int, seeds: int, jobs: int,
         progress: Callable[[str], None] | None, on_finish: Callable[[DatasetRecord], None] | None = None) -> TrackRecord:
    if seeds < 1 or jobs < 1:
        raise DataError("seeds and jobs must be at least 1")
    say = progress or (lambda line: None)
    keep = on_finish or (lambda record: None)
    result = TrackRecord()
    args = [(job, seed, max_seconds, shap_rows, seeds) for job in jobs_list]
    from engine import executors

    if executors.configured_address() is not None:  # a cluster: every dataset a job of its own, all submitted at once
        return _run_on_executor(executors.current(), jobs_list, args, say, keep)
    if jobs == 1:
        done = (_run_one(*a) for a in args)
        for number, record in enumerate(done, start=1):
            keep(record)
            say(progress_line(record, number, len(args)))
            result.records.append(record)
        return result
    from concurrent.futures import ProcessPoolExecutor

    finished: dict[str, DatasetRecord] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_run_one, *a): a[0].name for a in args}
        from concurrent.futures import as_completed

        for number, future in enumerate(as_completed(futures), start=1):
            record = future.result()
            keep(record)
            finished[record.dataset] = record
            say(progress_line(record, number, len(args)))
    result.records = [finished[job.name] for job in jobs_list]
    return result


def _run_on_executor(executor: Any, jobs_list: list[_Job], args: list[tuple[Any, ...]],
                     say: Callable[[str], None], keep: Callable[[DatasetRecord], None]) -> TrackRecord:
    """Each dataset as one job on ``executor`` (the cluster schedules them by their resources), in manifest order."""
    from engine.executors.jobs import CallJob

    handles = {executor.submit(CallJob(_run_one, a)): a[0].name for a in args}
    finished: dict[str, DatasetRecord] = {}
    while handles:
        for handle in [h for h in handles if executor.status(h).done]:
            name = handles.pop(handle)
            try:
                record = executor.result(handle)
            except Exception as error:  # noqa: BLE001  one lost dataset is an error row, not a lost corpus run
                record = DatasetRecord(dataset=name, error=f"the job failed: {error}")
            keep(record)  # appended to the results file as it finishes, as on this machine
            finished[name] = record
            say(progress_line(record, len(finished), len(args)))
        time.sleep(0.5)
    result = TrackRecord()
    result.records = [finished[job.name] for job in jobs_list]
    return result


def _compare_for_record(compare: Callable[..., Any], dataset: Any, job: _Job, seed: int, max_seconds: float,
                        shap_rows: int) -> Any:
    """One comparison of the track record: planned work decides, the clock is a safety net over the whole run.

    ``max_seconds`` plans the work (capped at ``limits.MAX_TRAIN_SECONDS``, as
    for every comparison) and is the whole run's deadline, never cut into
    per-stage shares: a busier or slower machine then trains the same models
    and reaches the same verdict, unless it overruns the whole deadline, which
    the verdict names as unfair. A corpus entry is not a hosted request, so its
    deadline is not capped.
    """
    from engine.measure.deadline import Deadline

    return compare(dataset, job.target, seed=seed, max_seconds=max_seconds, shap_rows=shap_rows,
                   deadline=Deadline(max_seconds), clock="safety")


def _run_one(job: _Job, seed: int, max_seconds: float, shap_rows: int, seeds: int) -> DatasetRecord:
    """Recommend and compare one dataset over ``seeds`` seeds (several: their splits pooled into one verdict)."""
    from engine.measure.evaluate import pooled_verdict
    from engine.run.pipeline import compare
    from engine.profile.profile import guess_target
    from engine.registry import registered_kinds

    entry = job.entry
    record = DatasetRecord(dataset=job.name, seeds=seeds, max_seconds=max_seconds)
    if entry is not None:
        record.source, record.target, record.declared_kind, record.expected = entry.source, entry.target, entry.kind, entry.expected
        record.group, record.split, record.origin = entry.group, entry.split, entry.origin
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        dataset = load_dataset_path(job.path)
        if job.target is not None:
            record.target_guess = guess_target(dataset.frame)
            record.target_guessed = record.target_guess == job.target
        if entry is not None and entry.kind not in {k.key for k in registered_kinds()}:
            record.pending = f"waits for the {entry.kind} data kind on main"
            record.seconds = time.perf_counter() - start
            return record
        comparisons = [_compare_for_record(compare, dataset, job, seed + k, max_seconds, shap_rows)
                       for k in range(seeds)]
    except DataError as error:
        record.error = str(error)
    else:
        first = comparisons[0]
        recommendation = first.advice.recommendation
        winners = [c.verdict.winner for c in comparisons]
        # Several seeds: their splits pooled into one test, whose winner, interval and p-value agree (issue 17),
        # never a vote of per-seed winners with averaged bounds and a median p-value.
        verdict = first.verdict if seeds == 1 else pooled_verdict([c.verdict for c in comparisons])
        winner = verdict.winner
        record.rows = first.advice.profile.rows
        record.task = first.advice.profile.task.value
        record.kind = first.dataset.kind
        record.target = record.target or first.target
        record.recommendation = recommendation.choice
        record.confidence = recommendation.confidence
        record.winner = winner
        record.seed_winners = winners
        record.metric = first.verdict.metric
        record.ml_score = float(sum(c.ml.metrics[c.verdict.metric] for c in comparisons) / seeds)
        record.dl_score = float(sum(c.dl.metrics[c.verdict.metric] for c in comparisons) / seeds)
        record.seed_margins = [float(c.verdict.difference) for c in comparisons]
        record.margin = float(verdict.difference)
        record.interval_low, record.interval_high = (float(bound) for bound in verdict.interval)
        record.splits = verdict.splits
        record.method = verdict.method
        record.p_value = None if verdict.p_value is None else float(verdict.p_value)
        record.conclusive = verdict.conclusive
        record.fair = verdict.fair
        record.unfair_reason = verdict.unfair_reason or None
        record.split_differences = [float(d) for d in verdict.split_differences]
        record.ml_seconds = float(sum(c.ml.train_seconds for c in comparisons))
        record.dl_seconds = float(sum(c.dl.train_seconds for c in comparisons))
        record.ml_model, record.dl_model = first.ml.name, first.dl.name
        record.agreed = agrees(recommendation.choice, winner)
        # An unfair fight measured nothing about the advice, so no criterion misled it.
        culprit = None if winner == "unfair" else misleading_criterion(recommendation.criteria, recommendation.choice, winner)
        if culprit is not None:
            record.misled_by = culprit.name
            record.misled_by_contribution = culprit.contribution
    record.seconds = time.perf_counter() - start
    record.cpu_seconds = time.process_time() - cpu_start
    return record


def progress_line(record: DatasetRecord, number: int, total: int) -> str:
    """One line per finished dataset, for stderr."""
    head = f"[{number}/{total}] {record.dataset}"
    if record.pending:
        return f"{head}: pending ({record.pending})"
    if record.error:
        return f"{head}: error: {record.error}"
    agreed = ("agreed" if record.agreed else "missed") + (" (inconclusive: not judged)" if record.conclusive is False else "")
    return (f"{head}: advice {record.recommendation} ({100 * (record.confidence or 0):.0f}%), winner {record.winner} "
            f"(ML - DL {record.margin:+.3f} {record.metric}, {count(record.splits, 'split')}), {agreed}, {record.seconds:.0f} s")


CSV_COLUMNS = ["dataset", "kind", "declared_kind", "rows", "task", "target", "target_guess", "recommendation", "confidence",
               "winner", "metric", "ml_score", "dl_score", "margin", "interval_low", "interval_high", "splits", "method",
               "p_value", "conclusive", "agreed", "misled_by", "expected", "seeds", "seconds", "pending", "error", "source"]


def write_results(payload: dict[str, Any], json_path: Path) -> tuple[Path, Path]:
    """Write the results as JSON and, next to it, one CSV row per dataset; returns both paths."""
    import csv
    import json

    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=float) + "\n", encoding="utf-8")
    csv_path = json_path.with_suffix(".csv")
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in payload["datasets"]:
            writer.writerow({k: row.get(k) for k in CSV_COLUMNS})
    return json_path, csv_path


def _percent(rate: dict[str, Any]) -> str:
    if not rate["n"]:
        return "n/a"
    low, high = rate["interval"]
    return f"{rate['hits']}/{rate['n']} = {100 * rate['rate']:.0f}% [{100 * low:.0f}-{100 * high:.0f}%]"


def format_table(payload: dict[str, Any]) -> str:
    """A plain-text table of :meth:`TrackRecord.to_dict` for the terminal."""
    header = ["dataset", "rows", "kind", "task", "advice", "winner", "ML - DL [95% interval]", "splits", "agreed", "misled by"]
    lines = [header]
    for r in payload["datasets"]:
        if r.get("pending") or r["error"]:
            lines.append([r["dataset"], "", r.get("declared_kind") or "", "", "", "", "", "",
                          "pending" if r.get("pending") else "error", r.get("pending") or r["error"]])
            continue
        scale = 100.0 if r["metric"] != "r2" else 1.0
        unit = "pts " + r["metric"] if scale == 100.0 else "R2"
        low, high = r.get("interval_low"), r.get("interval_high")
        shown = f"{scale * r['margin']:+.{1 if scale == 100 else 3}f}"
        if low is not None and high is not None:
            shown += f" [{scale * low:+.{1 if scale == 100 else 3}f}, {scale * high:+.{1 if scale == 100 else 3}f}]"
        misled = f"{r['misled_by']} ({r['misled_by_contribution']:+.2f})" if r["misled_by"] else "-"
        agreed = ("yes" if r["agreed"] else "no") + ("" if r.get("conclusive") is not False else " (inconclusive)")
        lines.append([r["dataset"], f"{r['rows']:,}", r.get("kind") or "", r["task"],
                      f"{r['recommendation']} ({100 * r['confidence']:.0f}%)", r["winner"], f"{shown} {unit}",
                      str(r.get("splits") or 1), agreed, misled])
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
    text = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    rate = payload["agreement_rate"]
    shown_rate = "n/a" if rate is None else f"{100 * rate:.0f}%"
    text.append("")
    text.append(f"agreement: {payload['agreed']} of {payload['compared']} datasets ({shown_rate}); {payload['rule']}")
    seeds = max((r.get("seeds") or 1 for r in payload["datasets"]), default=1)
    if seeds > 1:
        text.append(f"{seeds} seeds per dataset: their splits pooled into one test per dataset (the winner, interval "
                    "and p-value come from it); the scores are means over the seeds")
    summary = payload.get("summary")
    if summary:
        text.append(f"judged {summary['judged']} ({summary['decisive']} decisive, {summary['ties']} ties); "
                    f"{summary['inconclusive']} inconclusive, {summary['pending']} pending, {summary['errors']} errors")
        text.append(f"{'hit rate (95% Wilson interval)':34s}  {'ties agree':24s}  decisive only")
        rows = [("advisor", summary["advisor"])] + [(name.replace("_", " "), v) for name, v in summary["naive"].items()]
        for name, rates in rows:
            text.append(f"{name:34s}  {_percent(rates['ties_agree']):24s}  {_percent(rates['decisive_only'])}")
        text.append(f"target guess: {_percent(summary['target_guess'])} of datasets with a known target")
    if payload.get("score"):
        text += ["", format_score(payload["score"], "Scored (real data; a tie is its own outcome)")]
    return "\n".join(text)


RESULTS_FILE_NAME = "results.json"


def load_results(path: Path | str) -> dict[str, Any]:
    """A results file written by ``track-record --corpus``; a missing or malformed file is one ``DataError`` line.

    Either the JSON lines of a corpus run (``.jsonl``: ``run`` is its header) or the single JSON object of
    issue 12's runs.
    """
    import json

    path = Path(path)
    if path.suffix == ".jsonl":
        header, records = read_results_lines(path)
        return {"run": header, "datasets": [r.to_dict() for r in records], "format": "jsonl"}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"no track-record results at {path}: run `python -m engine track-record --corpus`") from None
    except (OSError, ValueError) as error:
        raise DataError(f"the track-record results at {path} cannot be read: {error}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("datasets"), list):
        raise DataError(f"the track-record results at {path} hold no datasets list")
    return payload


def record_from_run(run: Any, label: str) -> DatasetRecord:
    """A session's own comparison (a :class:`engine.run.record.RunRecord`) as a track-record row."""
    verdict = run.verdict
    choice = run.advice.recommendation.choice
    culprit = misleading_criterion(run.advice.recommendation.criteria, choice, verdict.winner)
    return DatasetRecord(
        dataset=label, rows=run.dataset.rows, task=run.task.value, recommendation=choice,
        confidence=run.advice.recommendation.confidence, winner=verdict.winner, metric=verdict.metric,
        ml_score=run.ml.metrics.get(verdict.metric), dl_score=run.dl.metrics.get(verdict.metric),
        margin=verdict.difference, agreed=agrees(choice, verdict.winner),
        misled_by=culprit.name if culprit else None, misled_by_contribution=culprit.contribution if culprit else None,
        kind=run.dataset.kind, target=run.target, interval_low=verdict.interval[0], interval_high=verdict.interval[1],
        splits=verdict.splits, method=verdict.method, p_value=verdict.p_value, conclusive=verdict.conclusive,
    )


# --- the corpus's results files (JSON lines) -------------------------------------------------------------------------

RESULTS_FILES = {"development": "results-development.jsonl", "sealed": "results-sealed.jsonl"}
#: Shared with benchmarks/corpus/calibrate.py, which writes its own lines (variant, params, score, hits, n, date).
JOURNAL_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus" / "calibration_journal.jsonl"


def results_path_for(split: str) -> Path:
    """The committed results file of a split (``all`` runs both parts, so it has no single file)."""
    from engine.evidence.corpus import CORPUS_DIR

    if split not in RESULTS_FILES:
        raise DataError(f"a run over split {split!r} has no committed results file; pass --results FILE")
    return CORPUS_DIR / RESULTS_FILES[split]


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _git(folder: Path | str | None, *args: str) -> str | None:
    """The output of ``git args`` in ``folder`` (this checkout by default); None when git cannot answer there."""
    import subprocess

    where = str(folder or Path(__file__).resolve().parents[2])
    try:
        return subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, check=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def git_state(folder: Path | None = None) -> tuple[str | None, bool | None]:
    """The checked-out commit and whether tracked files differ from it (None, None outside a git work tree)."""
    commit = _git(folder, "rev-parse", "HEAD")
    status = _git(folder, "status", "--porcelain", "--untracked-files=no") if commit is not None else None
    if commit is None or status is None:
        return None, None
    return commit.strip() or None, bool(status.strip())


#: What a corpus run's records depend on: the advice, the models and the measurement (``engine/``), which datasets
#: and targets (the manifest) and the libraries' versions. A commit that changes none of them (pages, tests, docs,
#: the results files themselves) leaves a sealed run's figures valid for the code it checks out.
MEASURED_CODE = ("engine", "benchmarks/corpus/manifest.toml", "requirements.txt")


def measured_code_changed(since: str, folder: Path | None = None) -> list[str] | None:
    """The files of :data:`MEASURED_CODE` that differ between commit ``since`` and the work tree, sorted.

    ``[]`` when the figures measured at ``since`` still describe this code; None when git cannot tell
    (outside a work tree, or a commit this clone does not have).
    """
    changed = _git(folder, "diff", "--name-only", since, "--", *MEASURED_CODE)
    return None if changed is None else sorted(line for line in changed.splitlines() if line.strip())


def _write_header(path: Path, run_info: dict[str, Any]) -> None:
    import json

    commit, dirty = git_state()
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"type": "run", "created_at": _now(), "commit": commit, "dirty": dirty} | run_info
    path.write_text(json.dumps(header, ensure_ascii=False, default=float) + "\n", encoding="utf-8")


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line left without its newline by an interrupted write, so the next record starts a line of its own."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def append_result(path: Path | str, record: DatasetRecord) -> None:
    """Append one finished dataset as a JSON line (flushed, so an interruption loses at most the one running)."""
    import json

    from engine.io.json_safe import json_safe

    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(json_safe({"type": "dataset"} | record.to_dict()), ensure_ascii=False) + "\n")
        handle.flush()


def read_results_lines(path: Path | str) -> tuple[dict[str, Any], list[DatasetRecord]]:
    """The run header and the dataset records of a JSON-lines results file (a later line for a dataset wins).

    A torn last line (the run was killed while writing it) is ignored; any other malformed line is a
    ``DataError``.
    """
    import json

    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"no track-record results at {path}: run `python -m engine track-record --corpus`") from None
    except OSError as error:
        raise DataError(f"the track-record results at {path} cannot be read: {error}") from None
    header: dict[str, Any] = {}
    records: dict[str, DatasetRecord] = {}
    known = DatasetRecord.__dataclass_fields__
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            if number == len(lines):
                continue
            raise DataError(f"line {number} of the track-record results at {path} is not JSON") from None
        if not isinstance(item, dict):
            raise DataError(f"line {number} of the track-record results at {path} is not an object")
        if item.get("type") == "run":
            header = header or item
        elif item.get("type") == "dataset" and isinstance(item.get("dataset"), str):
            records[item["dataset"]] = DatasetRecord(**{k: v for k, v in item.items() if k in known})
    return header, list(records.values())


def records_of(payload: dict[str, Any]) -> list[DatasetRecord]:
    """The dataset records of a loaded results payload (either file format)."""
    known = DatasetRecord.__dataclass_fields__
    return [DatasetRecord(**{k: v for k, v in row.items() if k in known}) for row in payload["datasets"]]


# --- scoring ---------------------------------------------------------------------------------------------------------

#: The constant advisors every figure is compared with; "by_kind" follows the article's headline criterion alone.
CONSTANT_ADVISORS: dict[str, str] = {"always_ml": "always classic ML", "always_dl": "always deep learning",
                                     "always_train_both": "always train both",
                                     "by_kind": "ML for tables, DL for text and images"}


def constant_choice(name: str, record: DatasetRecord) -> str:
    """What constant advisor ``name`` says for ``record``'s dataset."""
    if name == "always_ml":
        return "ml"
    if name == "always_dl":
        return "dl"
    if name == "always_train_both":
        return "either"
    if name == "by_kind":
        return "ml" if (record.kind or record.declared_kind or "tabular") == "tabular" else "dl"
    raise ValueError(f"unknown constant advisor {name!r}")


def hit(choice: str, winner: str) -> bool:
    """Exact match of advice and outcome: a firm choice must name the winner; "train both" (either) matches a tie.

    Unlike :func:`agrees`, a tie is not a free hit for firm advice.
    """
    return winner == "tie" if choice == "either" else choice == winner


def regret_points(choice: str, margin: float | None) -> float:
    """Points of the verdict metric (R² × 100 alike) lost by following ``choice`` instead of the better family.

    ``margin`` is ML − DL. "Train both" (either) loses nothing: it trains the better one too (its cost
    is compute, counted apart). The point estimate counts even inside a tie, so near-ties cost little.
    """
    if margin is None or choice == "either":
        return 0.0
    advantage = margin if choice == "ml" else -margin
    return 100.0 * max(0.0, -advantage)


def compute_seconds(choice: str, record: DatasetRecord) -> float:
    """Training seconds that following ``choice`` costs (both families' for "train both")."""
    ml, dl = record.ml_seconds or 0.0, record.dl_seconds or 0.0
    return ml + dl if choice == "either" else (ml if choice == "ml" else dl)


def mcnemar_exact(first_right: list[bool], second_right: list[bool]) -> dict[str, Any]:
    """Exact McNemar (sign) test on paired right/wrong: the discordant pairs against a fair coin (two-sided)."""
    from scipy.stats import binomtest

    only_first = sum(a and not b for a, b in zip(first_right, second_right))
    only_second = sum(b and not a for a, b in zip(first_right, second_right))
    n = only_first + only_second
    p_value = float(binomtest(only_first, n, 0.5).pvalue) if n else 1.0
    return {"only_advisor": only_first, "only_constant": only_second, "p_value": p_value}


RELIABILITY_BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def reliability_table(confidences: list[float], right: list[bool]) -> dict[str, Any]:
    """Of the advice given with confidence in each bin, the share that was right; and the Brier score."""
    rows = []
    for low, high in zip(RELIABILITY_BINS[:-1], RELIABILITY_BINS[1:]):
        inside = [(c, r) for c, r in zip(confidences, right) if low <= c < high or (high == 1.0 and c == 1.0)]
        rows.append({"low": low, "high": high, "n": len(inside), "right": sum(r for _, r in inside),
                     "share_right": (sum(r for _, r in inside) / len(inside)) if inside else None,
                     "mean_confidence": (sum(c for c, _ in inside) / len(inside)) if inside else None})
    below = [(c, r) for c, r in zip(confidences, right) if c < RELIABILITY_BINS[0]]
    if below:
        rows.insert(0, {"low": 0.0, "high": RELIABILITY_BINS[0], "n": len(below), "right": sum(r for _, r in below),
                        "share_right": sum(r for _, r in below) / len(below),
                        "mean_confidence": sum(c for c, _ in below) / len(below)})
    brier = (sum((c - float(r)) ** 2 for c, r in zip(confidences, right)) / len(right)) if right else None
    return {"bins": rows, "brier": brier, "n": len(right)}


def _advisor_figures(choices: list[str], judged: list[DatasetRecord]) -> dict[str, Any]:
    decisive = [(c, r) for c, r in zip(choices, judged) if r.winner != "tie"]
    regrets = [regret_points(c, r.margin) for c, r in zip(choices, judged)]
    return {
        "exact": _rate(sum(hit(c, r.winner or "") for c, r in zip(choices, judged)), len(judged)),
        "decisive_only": _rate(sum(c == r.winner for c, r in decisive), len(decisive)),
        "ties_agree": _rate(sum(agrees(c, r.winner or "") for c, r in zip(choices, judged)), len(judged)),
        "regret": {"total": float(sum(regrets)), "median": float(np.median(regrets)) if regrets else None,
                   "mean": float(np.mean(regrets)) if regrets else None, "n": len(regrets)},
        "compute_seconds": float(sum(compute_seconds(c, r) for c, r in zip(choices, judged))),
        "choices": {k: choices.count(k) for k in ("ml", "dl", "either")},
    }


def score(records: list[DatasetRecord], *, real_only: bool = True) -> dict[str, Any]:
    """The figures of a results set: counts, the advisor's and each constant's rates, regret and compute, the exact
    McNemar test against the best constant, the reliability table and Brier score, and a plain verdict.

    Judged: compared and conclusive (a model no better than its baseline makes a verdict inconclusive:
    listed by name, not dropped silently). ``real_only`` keeps real data (the headline); generated and
    publisher-simulated sets are scored apart.
    """
    kept = [r for r in records if not real_only or (r.origin or "real") == "real"]
    judged = [r for r in kept if r.judged and r.recommendation and r.winner]
    inconclusive = [r.dataset for r in kept if r.agreed is not None and r.conclusive is False]
    advisors = {"advisor": _advisor_figures([r.recommendation or "" for r in judged], judged)}
    for name in CONSTANT_ADVISORS:
        advisors[name] = _advisor_figures([constant_choice(name, r) for r in judged], judged)
    constants = list(CONSTANT_ADVISORS)
    best = max(constants, key=lambda n: (advisors[n]["exact"]["hits"], -advisors[n]["regret"]["total"])) if judged else None
    right = [hit(r.recommendation or "", r.winner or "") for r in judged]
    summary: dict[str, Any] = {
        "datasets": len(kept),
        "judged": len(judged),
        "decisive": sum(r.winner != "tie" for r in judged),
        "ties": sum(r.winner == "tie" for r in judged),
        "inconclusive": len(inconclusive),
        "inconclusive_datasets": inconclusive,
        "errors": sum(1 for r in kept if r.error),
        "error_datasets": [r.dataset for r in kept if r.error],
        "pending": sum(1 for r in kept if r.pending),
        "advisors": advisors,
        "best_constant": best,
        "reliability": reliability_table([float(r.confidence or 0.0) for r in judged], right),
        # The confidence states the event each advice claims (engine.advice.recommend): a firm choice that its family
        # won or tied (on a tie it loses nothing), a close call that the two tied; this table checks that event, and
        # "reliability" above checks the exact hit, stricter than a firm choice's claim.
        "reliability_of_confidence": reliability_table(
            [float(r.confidence or 0.0) for r in judged], [agrees(r.recommendation or "", r.winner or "") for r in judged])
        | {"right_means": "what the advice claims came true: a firm choice's family won or the two tied within the "
                          "practical margin; a close call's two tied"},
        "real_only": real_only,
    }
    if best is not None:
        best_right = [hit(constant_choice(best, r), r.winner or "") for r in judged]
        summary["mcnemar"] = {"against": best} | mcnemar_exact(right, best_right)
        decisive = [r for r in judged if r.winner != "tie"]
        summary["mcnemar_decisive"] = {"against": best} | mcnemar_exact(
            [r.recommendation == r.winner for r in decisive], [constant_choice(best, r) == r.winner for r in decisive])
    summary["plain"] = plain_verdict(summary)
    guessed = [r for r in kept if r.target_guessed is not None]
    summary["target_guess"] = _rate(sum(bool(r.target_guessed) for r in guessed), len(guessed))
    commits = sorted({r.commit for r in kept if r.commit})
    summary["commits"] = commits
    summary["code_frozen"] = bool(kept) and len(commits) == 1 and all(r.dirty is False for r in kept)
    return summary


def plain_verdict(summary: dict[str, Any]) -> str:
    """One sentence: is the advice better than the best constant rule, on this evidence?"""
    if not summary["judged"]:
        return "No dataset has been judged yet."
    advisor = summary["advisors"]["advisor"]["exact"]
    best = summary["best_constant"]
    constant = summary["advisors"][best]["exact"]
    test = summary["mcnemar"]
    name = CONSTANT_ADVISORS[best]
    if advisor["hits"] > constant["hits"] and test["p_value"] < 0.05:
        return (f"The advice named the outcome more often than the best constant rule ({name}): {advisor['hits']} against "
                f"{constant['hits']} of {advisor['n']}, exact McNemar {_p(test['p_value'])}.")
    if advisor["hits"] > constant["hits"]:
        return (f"The advice is no better than the constant rule “{name}” on this evidence: {advisor['hits']} against "
                f"{constant['hits']} of {advisor['n']} right, a difference chance explains (exact McNemar p = "
                f"{test['p_value']:.2f}).")
    if advisor["hits"] < constant["hits"] and test["p_value"] < 0.05:  # said as plainly as a win would be
        return (f"The advice is worse than the constant rule “{name}”: {advisor['hits']} against {constant['hits']} of "
                f"{advisor['n']} right, more than chance explains (exact McNemar {_p(test['p_value'])}).")
    return (f"The advice is no better than the constant rule “{name}”: {advisor['hits']} against {constant['hits']} of "
            f"{advisor['n']} right (exact McNemar p = {test['p_value']:.2f}).")


def _p(value: float) -> str:
    """A p-value as printed: three decimals, and "p < 0.001" below that (not "p = 0.000")."""
    return "p < 0.001" if value < 0.0005 else f"p = {value:.3f}"


def format_score(summary: dict[str, Any], title: str) -> str:
    """The figures of :func:`score` as a plain-text block for the terminal."""
    lines = [title, "=" * len(title)]
    lines.append(f"{summary['datasets']} datasets: {summary['judged']} judged ({summary['decisive']} decisive, {summary['ties']} "
                 f"ties), {summary['inconclusive']} inconclusive, {summary['errors']} errors, {summary['pending']} pending")
    if summary["inconclusive_datasets"]:
        lines.append("inconclusive (a model no better than its baseline, or an unfair fight): " + ", ".join(summary["inconclusive_datasets"]))
    lines.append(f"{'advisor':40s}  {'exact (tie = its own outcome)':30s}  {'decisive only':24s}  regret total / median  compute")
    for name, figures in summary["advisors"].items():
        label = "the advisor" if name == "advisor" else CONSTANT_ADVISORS[name]
        regret = figures["regret"]
        median = "n/a" if regret["median"] is None else f"{regret['median']:.1f}"
        lines.append(f"{label:40s}  {_percent(figures['exact']):30s}  {_percent(figures['decisive_only']):24s}  "
                     f"{regret['total']:7.1f} / {median:5s} pts  {figures['compute_seconds']:.0f} s")
    if "mcnemar" in summary:
        m = summary["mcnemar"]
        lines.append(f"exact McNemar against {CONSTANT_ADVISORS[m['against']]}: advisor alone right {m['only_advisor']}, "
                     f"constant alone right {m['only_constant']}, {_p(m['p_value'])}")
    rel = summary["reliability"]
    if rel["n"]:
        lines.append("reliability: " + "; ".join(
            f"{100 * b['low']:.0f}-{100 * b['high']:.0f}%: {b['right']}/{b['n']}" for b in rel["bins"] if b["n"])
            + f"; Brier {rel['brier']:.3f}")
    stated = summary.get("reliability_of_confidence")
    if stated and stated["n"]:
        bands = "; ".join(f"{100 * b['low']:.0f}-{100 * b['high']:.0f}%: {b['right']}/{b['n']}"
                          for b in stated["bins"] if b["n"])
        lines.append("reliability of the confidence's own event (a firm choice's family won or tied; a close call tied): "
                     f"{bands}; Brier {stated['brier']:.3f}")
    lines.append(summary["plain"])
    return "\n".join(lines)


# --- the calibration journal -----------------------------------------------------------------------------------------

def log_variant(variant: str, description: str, figures: dict[str, Any], *, split: str = "development",
                author: str = "", path: Path | str | None = None) -> dict[str, Any]:
    """Append one variant tried to the calibration journal (JSON lines, committed next to the results).

    Each line: ``at``, ``commit``, ``dirty``, ``variant`` (a short name), ``description`` (what changed),
    ``split`` (always ``development``: the sealed part is never tuned on, so logging a score on it is
    refused), ``author`` and ``figures`` (any JSON: hit rates, regret, leave-one-group-out score...).
    """
    import json

    from engine.io.json_safe import json_safe

    if split != "development":
        raise DataError("the calibration journal logs variants tried on the development part only; the sealed part is "
                        "never tuned on")
    if not variant.strip() or not description.strip():
        raise DataError("a journal entry needs a variant name and a description")
    commit, dirty = git_state()
    line = {"at": _now(), "commit": commit, "dirty": dirty, "variant": variant, "description": description,
            "split": split, "author": author, "figures": json_safe(figures)}
    target = Path(path) if path is not None else JOURNAL_PATH
    with target.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line


def read_journal(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Every variant of the calibration journal, oldest first (none when there is no journal yet)."""
    import json

    target = Path(path) if path is not None else JOURNAL_PATH
    if not target.is_file():
        return []
    entries = []
    for number, line in enumerate(target.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                entries.append(json.loads(line))
            except ValueError:
                raise DataError(f"line {number} of the calibration journal {target} is not JSON") from None
    return entries


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "/".join(_short(item) for item in value)
    return str(value)


def describe_params(params: dict[str, Any]) -> str:
    """A variant's settings as one readable line: ``weights: data_structure 3.69, …; close_call_band 0.277``."""
    parts = []
    for key, value in params.items():
        if isinstance(value, dict):
            parts.append(f"{key}: " + ", ".join(f"{name} {_short(inner)}" for name, inner in value.items()))
        else:
            parts.append(f"{key} {_short(value)}")
    return "; ".join(parts)


def journal_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One plain row per journal entry, whichever tool wrote it (``log_variant``, the calibration, the target guess).

    The three writers name things differently (``description``/``what``/``params``, ``at``/``date``); the row
    says on which part each variant was scored and what its score measures, so a hit rate and a regret are
    never read as the same number.
    """
    import json

    rows = []
    for entry in entries:
        failures = entry.get("constraint_failures") or []
        rows.append({
            "at": entry.get("at") or entry.get("date"), "split": entry.get("split"), "variant": entry.get("variant"),
            "what changed": entry.get("description") or entry.get("what") or describe_params(entry.get("params") or {}),
            "score": entry.get("score"), "score is": entry.get("score_is"), "right": entry.get("hits"), "of": entry.get("n"),
            "decision": entry.get("decision") or ("breaks the expert constraints: " + "; ".join(map(str, failures))
                                                  if failures else ""),
            "figures": json.dumps(entry["figures"], ensure_ascii=False) if entry.get("figures") else "",
        })
    return rows


# --- what the Track record page and the CLI show per dataset ---------------------------------------------------------

SIZE_BANDS = (("under 1,000 rows", 0, 1_000), ("1,000–9,999 rows", 1_000, 10_000), ("10,000–99,999 rows", 10_000, 100_000),
              ("100,000+ rows", 100_000, math.inf))
OUTCOME_NAMES = {"ml": "ML better", "tie": "practically tied", "dl": "DL better"}


def size_band(rows: int | None) -> str | None:
    """The size band of a dataset (the page's size filter)."""
    if rows is None:
        return None
    return next(name for name, low, high in SIZE_BANDS if low <= rows < high)


def dataset_rows(records: list[DatasetRecord]) -> list[dict[str, Any]]:
    """One plain row per dataset: advice, outcome with margin and interval (points), conclusive, hit, regret, compute."""
    rows = []
    for r in records:
        status = r.pending or r.error or (
            f"not a fair comparison: {r.unfair_reason}" if r.fair is False else
            "" if r.conclusive is not False else "inconclusive: a model no better than its baseline")
        measured = r.winner is not None and r.recommendation is not None
        rows.append({
            "dataset": r.dataset, "kind": r.kind or r.declared_kind, "rows": r.rows, "size": size_band(r.rows), "task": r.task,
            "group": r.group, "origin": r.origin or "real", "advice": r.recommendation, "confidence": r.confidence,
            "outcome": OUTCOME_NAMES.get(r.winner or ""), "winner": r.winner,
            "ML − DL (points)": None if r.margin is None else 100.0 * r.margin,
            "interval low": None if r.interval_low is None else 100.0 * r.interval_low,
            "interval high": None if r.interval_high is None else 100.0 * r.interval_high,
            "metric": r.metric, "conclusive": r.conclusive, "splits": r.splits,
            "right": hit(r.recommendation or "", r.winner or "") if measured else None,
            "agreed": hit(r.recommendation or "", r.winner or "") if measured else None,  # what the charts mark
            "regret (points)": regret_points(r.recommendation or "", r.margin) if measured else None,
            "train seconds ML + DL": None if r.ml_seconds is None else (r.ml_seconds or 0.0) + (r.dl_seconds or 0.0),
            "run seconds": r.seconds, "misled by": r.misled_by, "status": status, "commit": (r.commit or "")[:10],
        })
    return rows


def advisor_table(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The advisor and each constant side by side: hit rates with intervals, regret, compute."""
    table = []
    for name, figures in summary["advisors"].items():
        exact, decisive, regret = figures["exact"], figures["decisive_only"], figures["regret"]
        table.append({
            "advisor": "the advisor" if name == "advisor" else CONSTANT_ADVISORS[name],
            "right (tie = its own outcome)": _percent(exact), "right on decisive datasets": _percent(decisive),
            "regret total (points)": round(regret["total"], 1),
            "regret median (points)": None if regret["median"] is None else round(regret["median"], 2),
            "training seconds": round(figures["compute_seconds"], 1),
        })
    return table
