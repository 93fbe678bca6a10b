"""The advisor's own track record: was the criteria-based advice confirmed by measurement?

For each dataset, :func:`track_record` runs the same flow as the command line
(:func:`engine.pipeline.compare`, which recommends first) and records the
recommendation, the measured winner with its margin, and whether the two
agreed (``ComparisonResult.agreed_with_recommendation``). Where the advice was
wrong, it names the criterion that pulled hardest toward the wrong side: the
largest signed contribution (``Criterion.contribution``, negative = classic
ML) toward the recommended family, or, for a close call that turned out not
to be close, toward the family that lost.

Thresholds are not tuned here: the sample datasets are a check of the
published thresholds in :mod:`engine.thresholds`, not a training set for them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from engine import thresholds as th
from engine.data import DataError
from engine.dataset import load_dataset_path
from engine.samples import sample_paths
from engine.recommend import Criterion

__all__ = ["DatasetRecord", "TrackRecord", "track_record", "misleading_criterion", "sample_datasets", "format_table"]


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
    margin: float | None = None  # ML minus DL in the main metric
    agreed: bool | None = None
    misled_by: str | None = None
    misled_by_contribution: float | None = None
    seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TrackRecord:
    records: list[DatasetRecord] = field(default_factory=list)

    @property
    def judged(self) -> list[DatasetRecord]:
        return [r for r in self.records if r.agreed is not None]

    @property
    def agreement_rate(self) -> float | None:
        """Share of compared datasets where the measurement agreed with the advice."""
        judged = self.judged
        return sum(r.agreed for r in judged) / len(judged) if judged else None  # type: ignore[misc]

    def to_dict(self) -> dict[str, Any]:
        judged = self.judged
        return {
            "datasets": [r.to_dict() for r in self.records],
            "agreed": sum(1 for r in judged if r.agreed),
            "compared": len(judged),
            "agreement_rate": self.agreement_rate,
            "rule": "agreed when the recommended family won or tied; a close call agrees only with a tie",
        }


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


def track_record(
    datasets: Iterable[str | Path] | None = None,
    *,
    seed: int = 0,
    max_seconds: float = th.DEFAULT_MAX_SECONDS,
    shap_rows: int = th.TRACK_RECORD_SHAP_ROWS,
) -> TrackRecord:
    """Recommend, then compare, on each dataset (default: every sample dataset)."""
    from engine.evaluate import main_metric
    from engine.pipeline import compare

    paths = [Path(p) for p in datasets] if datasets is not None else sample_datasets()
    result = TrackRecord()
    for path in paths:
        record = DatasetRecord(dataset=path.name)
        start = time.perf_counter()
        try:
            comparison = compare(load_dataset_path(path), seed=seed, max_seconds=max_seconds, shap_rows=shap_rows)
        except DataError as error:
            record.error = str(error)
        else:
            recommendation = comparison.advice.recommendation
            metric = main_metric(comparison.advice.profile.task)
            record.rows = comparison.advice.profile.rows
            record.task = comparison.advice.profile.task.value
            record.recommendation = recommendation.choice
            record.confidence = recommendation.confidence
            record.winner = comparison.verdict.winner
            record.metric = metric
            record.ml_score = comparison.ml.metrics[metric]
            record.dl_score = comparison.dl.metrics[metric]
            record.margin = comparison.verdict.difference
            record.agreed = comparison.agreed_with_recommendation
            culprit = misleading_criterion(recommendation.criteria, recommendation.choice, comparison.verdict.winner)
            if culprit is not None:
                record.misled_by = culprit.name
                record.misled_by_contribution = culprit.contribution
        record.seconds = time.perf_counter() - start
        result.records.append(record)
    return result


def format_table(payload: dict[str, Any]) -> str:
    """A plain-text table of :meth:`TrackRecord.to_dict` for the terminal."""
    header = ["dataset", "rows", "task", "advice", "winner", "ML - DL", "agreed", "misled by"]
    lines = [header]
    for r in payload["datasets"]:
        if r["error"]:
            lines.append([r["dataset"], "", "", "", "", "", "error", r["error"]])
            continue
        margin = f"{100 * r['margin']:+.1f} pts {r['metric']}"
        misled = f"{r['misled_by']} ({r['misled_by_contribution']:+.2f})" if r["misled_by"] else "-"
        lines.append([r["dataset"], f"{r['rows']:,}", r["task"], r["recommendation"], r["winner"], margin,
                      "yes" if r["agreed"] else "no", misled])
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
    text = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    rate = payload["agreement_rate"]
    shown = "n/a" if rate is None else f"{100 * rate:.0f}%"
    text.append("")
    text.append(f"agreement: {payload['agreed']} of {payload['compared']} datasets ({shown}); {payload['rule']}")
    return "\n".join(text)
