"""From measurements to tables and budget checks: pure functions over plain dicts.

One dataset's measurements (``DatasetRuns``) hold lists, one entry per repeat,
of the runs made side by side: ``fast`` and ``shared`` (the product,
``python -m engine compare --json``), ``reference`` (the plain script) and
``recommend`` (``python -m engine recommend --json``). Each entry has
``seconds`` (process start to exit), ``rss`` (peak bytes) and ``stages``.
Figures are medians over repeats; ratios are taken per repeat (runs side by
side) and then their median.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Sequence

from benchmarks import budgets as b

__all__ = ["DatasetRuns", "Check", "summarise", "check_budgets", "render", "table", "STAGES"]

#: Stages of the product's JSON ``stage_seconds`` shown in the table, in flow order.
STAGES = ("load", "profile", "recommend", "train_ml", "train_dl", "explain_ml", "explain_dl", "both_sides_at_once")
#: Every in-process stage; "other" in the table is the end-to-end time minus these.
IN_PROCESS = ("load", "profile_and_split", "train_ml", "train_dl", "evaluate", "explain_ml", "explain_dl")
#: With both sides at once their stages overlap: the in-process wall time is these (engine.run.pipeline.sides_at_once).
IN_PROCESS_AT_ONCE = ("load", "profile_and_split", "both_sides_at_once", "repeated_splits", "explaining_both_at_once")
#: The stages of ``recommend --json``'s ``stage_seconds``.
RECOMMEND_STAGES = ("load", "profile", "recommend")
#: The plain script's stages (benchmarks/reference.py), in its order.
REFERENCE_STAGES = ("imports", "load", "encode_and_split", "train_ml", "train_dl", "explain_ml", "explain_dl")


@dataclass
class DatasetRuns:
    name: str
    rows: int
    task: str
    size: int | None = None  # rows of a synthetic table; None for a sample dataset
    fast: list[dict[str, Any]] = field(default_factory=list)
    shared: list[dict[str, Any]] = field(default_factory=list)
    reference: list[dict[str, Any]] = field(default_factory=list)
    recommend: list[dict[str, Any]] = field(default_factory=list)
    dashboard: list[dict[str, float]] = field(default_factory=list)  # benchmarks/dashboard.py: AppTest timers
    metric: str | None = None
    product_scores: dict[str, float] = field(default_factory=dict)  # "ml"/"dl" -> main metric
    reference_scores: dict[str, float] = field(default_factory=dict)  # "default_lightgbm"/"sklearn_mlp"
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Check:
    name: str
    limit: str
    measured: str
    passed: bool
    kind: str  # "budget" (decides the exit status) | "goal"


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _explain(run: dict[str, Any]) -> float:
    return run["stages"].get("explain_ml", 0.0) + run["stages"].get("explain_dl", 0.0)


def _in_process(stages: dict[str, float]) -> float:
    keys = IN_PROCESS_AT_ONCE if "both_sides_at_once" in stages else IN_PROCESS
    return sum(stages.get(s, 0.0) for s in keys)


def summarise(runs: DatasetRuns) -> dict[str, Any]:
    """Medians and side-by-side ratios of one dataset's runs."""
    fast, shared, reference = runs.fast, runs.shared, runs.reference
    summary: dict[str, Any] = {"name": runs.name, "rows": runs.rows, "task": runs.task, "size": runs.size}
    summary["stages"] = {s: _median([r["stages"].get(s, 0.0) for r in fast]) for s in STAGES}
    summary["other"] = _median([r["seconds"] - _in_process(r["stages"]) for r in fast])
    summary["reference_stages"] = {s: _median([r["stages"].get(s, 0.0) for r in reference]) for s in REFERENCE_STAGES}
    summary["dashboard"] = {k: _median([d[k] for d in runs.dashboard]) for k in ("upload_to_advice", "train_click_to_verdict")} \
        if runs.dashboard else None
    summary["fast_seconds"] = _median([r["seconds"] for r in fast])
    summary["fast_rss"] = max((r["rss"] for r in fast), default=0)
    summary["shared_seconds"] = _median([r["seconds"] for r in shared])
    summary["shared_runs"] = len(shared)
    summary["shared_rss"] = max((r["rss"] for r in shared), default=0)
    summary["reference_seconds"] = _median([r["seconds"] for r in reference])
    summary["reference_rss"] = max((r["rss"] for r in reference), default=0)
    pairs = list(zip(fast, reference))
    summary["ratio"] = _median([f["seconds"] / r["seconds"] for f, r in pairs if r["seconds"] > 0])
    shared_pairs = list(zip(shared, reference))
    summary["shared_ratio"] = _median([s["seconds"] / r["seconds"] for s, r in shared_pairs if r["seconds"] > 0])
    summary["fast_explain"] = _median([_explain(r) for r in fast])
    summary["shared_explain"] = _median([_explain(r) for r in shared])
    summary["fairness_cost"] = _median([_explain(s) / _explain(f) for f, s in zip(fast, shared) if _explain(f) > 0])
    summary["explainers"] = {mode: (rs[0].get("explainers") if rs else None) for mode, rs in (("fast", fast), ("shared", shared))}
    summary["spearman"] = {mode: _median([r["spearman"] for r in rs if r.get("spearman") is not None])
                           for mode, rs in (("fast", fast), ("shared", shared))}
    summary["recommend_seconds"] = _median([r["seconds"] for r in runs.recommend]) if runs.recommend else None
    summary["recommend_stages"] = {s: _median([r["stages"].get(s, 0.0) for r in runs.recommend]) for s in RECOMMEND_STAGES}
    # Interpreter start, imports and exit: the end-to-end time less the in-process stages, per run.
    summary["recommend_other"] = _median([r["seconds"] - sum(r["stages"].get(s, 0.0) for s in RECOMMEND_STAGES)
                                          for r in runs.recommend])
    summary["metric"] = runs.metric
    summary["product_scores"] = dict(runs.product_scores)
    summary["reference_scores"] = dict(runs.reference_scores)
    summary["repeats"] = len(fast)
    summary["notes"] = list(runs.notes)
    summary["failures"] = list(runs.failures)
    return summary


def check_budgets(summaries: list[dict[str, Any]]) -> list[Check]:
    """Each budget of ``benchmarks.budgets`` against the sizes that were run (skipped sizes are not checked)."""
    checks: list[Check] = []
    by_size = {s["size"]: s for s in summaries if s["size"] is not None}
    for s in summaries:
        if s["failures"]:
            checks.append(Check(f"{s['name']}: every run succeeded", "exit 0", "; ".join(s["failures"])[:80], False, "budget"))
    if 10_000 in by_size:
        s = by_size[10_000]
        checks.append(_at_most("compare 10k x 20, fast explainers, end to end", s["fast_seconds"], b.COMPARE_10K_SECONDS, "s"))
        if s["shared_runs"]:  # --fast-only runs none
            checks.append(_at_most("compare 10k x 20, shared explainers, end to end", s["shared_seconds"],
                                   b.COMPARE_10K_SHARED_SECONDS, "s"))
        checks.append(_at_most("compare 10k x 20 / reference script", s["ratio"], b.REFERENCE_RATIO_10K, "x"))
    if 100_000 in by_size:
        s = by_size[100_000]
        checks.append(_at_most("compare 100k x 20, end to end", s["fast_seconds"], b.COMPARE_100K_SECONDS, "s"))
        checks.append(_at_most("compare 100k x 20, peak RSS", s["fast_rss"] / 1e9, b.COMPARE_100K_PEAK_RSS_BYTES / 1e9, "GB"))
        checks.append(_at_most("compare 100k x 20 / reference script", s["ratio"], b.REFERENCE_RATIO_100K, "x"))
        if s["recommend_seconds"] is not None:
            checks.append(_at_most("load + profile + recommend 100k x 20, end to end", s["recommend_seconds"], b.ADVISE_100K_SECONDS, "s"))
    for s in summaries:
        product, reference = s["product_scores"], s["reference_scores"]
        if not product or not reference:
            continue
        ml_gap = 100.0 * (product["ml"] - reference["default_lightgbm"])
        dl_gap = 100.0 * (product["dl"] - reference["sklearn_mlp"])
        checks.append(Check(f"{s['name']}: ML - default LightGBM ({s['metric']})", f">= {b.ML_VS_DEFAULT_LIGHTGBM_POINTS:+.1f} pts",
                            f"{ml_gap:+.1f} pts", ml_gap >= b.ML_VS_DEFAULT_LIGHTGBM_POINTS - 1e-9, "goal"))
        checks.append(Check(f"{s['name']}: DL - sklearn MLP ({s['metric']})", f">= {b.DL_VS_SKLEARN_MLP_POINTS:+.1f} pts",
                            f"{dl_gap:+.1f} pts", dl_gap >= b.DL_VS_SKLEARN_MLP_POINTS - 1e-9, "goal"))
    return checks


def _times(ratio: float) -> str:
    return "-" if ratio != ratio else f"{ratio:.2f}x"  # NaN: not measured (e.g. --fast-only)


def _at_most(name: str, measured: float, limit: float, unit: str) -> Check:
    passed = measured == measured and measured <= limit  # NaN (not measured) fails
    return Check(name, f"<= {limit:g} {unit}", f"{measured:.2f} {unit}", passed, "budget")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table; numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) or (isinstance(value, str) and value.replace(".", "", 1).replace("x", "").replace("-", "").strip().isdigit())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if value != value else f"{value:.2f}"
    return str(value)


def render(summaries: list[dict[str, Any]], checks: list[Check], header: str = "") -> str:
    """Every table of the benchmark as one text block."""
    out = [header] if header else []
    out.append("Stages of the product (median seconds, fast explainers; 'other' = start-up, imports not overlapped, "
               "scoring, JSON; at once, the sides' stages overlap and 'both_sides_at_once' is their wall time)")
    out.append(table(
        ["dataset", "rows", "task", "n", *STAGES, "other", "end-to-end", "peak RSS MB"],
        [[s["name"], s["rows"], s["task"], s["repeats"], *(s["stages"][k] for k in STAGES), s["other"], s["fast_seconds"],
          round(s["fast_rss"] / 1e6)] for s in summaries],
    ))
    out.append("")
    out.append("Against the plain reference script (same rows, run side by side; ratio = product / reference, median of pairs)")
    out.append(table(
        ["dataset", "reference s", "ref RSS MB", "compare s", "ratio", "shared s", "shared ratio"],
        [[s["name"], s["reference_seconds"], round(s["reference_rss"] / 1e6), s["fast_seconds"], _times(s["ratio"]),
          s["shared_seconds"], _times(s["shared_ratio"])] for s in summaries],
    ))
    out.append("")
    out.append("Stages of the plain script, one after the other (median seconds; the same runs)")
    out.append(table(
        ["dataset", *REFERENCE_STAGES, "end-to-end", "peak RSS MB"],
        [[s["name"], *(s["reference_stages"][k] for k in REFERENCE_STAGES), s["reference_seconds"],
          round(s["reference_rss"] / 1e6)] for s in summaries],
    ))
    dashboard = [s for s in summaries if s.get("dashboard")]
    if dashboard:
        out.append("")
        out.append("Dashboard, as a user meets it (Streamlit AppTest, a fresh app process each; default options; seconds)")
        out.append(table(["dataset", "upload to advice", "train click to verdict"],
                         [[s["name"], s["dashboard"]["upload_to_advice"], s["dashboard"]["train_click_to_verdict"]]
                          for s in dashboard]))
    out.append("")
    out.append("Cost of fairness (SHAP seconds for both models: shared definition / fast explainers, median of pairs)")
    out.append(table(
        ["dataset", "fast explainers", "fast SHAP s", "shared explainers", "shared SHAP s", "cost", "spearman fast", "spearman shared"],
        [[s["name"], "/".join(s["explainers"]["fast"] or []), s["fast_explain"], "/".join(s["explainers"]["shared"] or []),
          s["shared_explain"], f"{s['fairness_cost']:.2f}x", s["spearman"]["fast"], s["spearman"]["shared"]] for s in summaries],
    ))
    scored = [s for s in summaries if s["product_scores"] and s["reference_scores"]]
    if scored:
        out.append("")
        out.append("Reference models on the same split (main metric; differences in points)")
        out.append(table(
            ["dataset", "metric", "ML (LightGBM)", "default LightGBM", "ML diff", "DL (torch MLP)", "sklearn MLP", "DL diff"],
            [[s["name"], s["metric"], f"{s['product_scores']['ml']:.4f}", f"{s['reference_scores']['default_lightgbm']:.4f}",
              f"{100 * (s['product_scores']['ml'] - s['reference_scores']['default_lightgbm']):+.1f}",
              f"{s['product_scores']['dl']:.4f}", f"{s['reference_scores']['sklearn_mlp']:.4f}",
              f"{100 * (s['product_scores']['dl'] - s['reference_scores']['sklearn_mlp']):+.1f}"] for s in scored],
        ))
    recommend = [s for s in summaries if s["recommend_seconds"] is not None]
    if recommend:
        out.append("")
        out.append("load + profile + recommend, end to end (python -m engine recommend --json, median seconds; "
                   "start-up, imports and exit: the rest)")
        out.append(table(["dataset", "seconds", *RECOMMEND_STAGES, "start-up, imports, exit"],
                         [[s["name"], s["recommend_seconds"], *(s["recommend_stages"][k] for k in RECOMMEND_STAGES),
                           s["recommend_other"]] for s in recommend]))
    notes = [(s["name"], note) for s in summaries for note in s["notes"]]
    if notes:
        out.append("")
        out.append("Product notes (sampling and settings it reported)")
        out.extend(f"  {name}: {note}" for name, note in notes)
    out.append("")
    out.append("Budgets (decide the exit status) and goals (reported)")
    out.append(table(["check", "kind", "limit", "measured", "result"],
                     [[c.name, c.kind, c.limit, c.measured, "pass" if c.passed else ("MISSED" if c.kind == "budget" else "missed")]
                      for c in checks]))
    return "\n".join(out)
