"""A self-contained HTML report of one comparison, and its results JSON.

The report draws from a :class:`~engine.run.record.RunRecord` alone (a live
comparison or one read back from the store), with the same
the :mod:`engine.figures` figures the pages show. Plotly's JavaScript is embedded
once, and a Content-Security-Policy forbids every request, so the file opens
offline and fetches nothing. The policy allows exactly the report's own
scripts, by their SHA-256 (no ``'unsafe-inline'`` or ``'unsafe-eval'`` for
scripts), and no form, base URL or plugin: were escaping ever to fail, an
injected script or event handler would still not run. Every user string (file name, column names,
category values, notes) is escaped with :func:`html.escape`; inside figures,
:mod:`engine.figures` has already escaped them, and Plotly writes its JSON with
``<``, ``>`` and ``/`` as unicode escapes, so nothing a user named can close a
tag or a script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from typing import Any, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from engine.common.sections import Block, Caption, Chart, Choice, Columns, Heading, Html, Line, Note, Section
from engine.figures import advice as advice_figures
from engine.figures import base as figure_base
from engine.figures import explanations as shap_figures
from engine.figures import metrics as metric_figures
from engine.common import wording
from engine.share.consent import ROWS_NOT_KEPT, rows_kept
from engine.io.json_safe import json_safe
from engine.run.record import RunRecord
from engine.advice.recommend import CONFIDENCE_MEANING
from engine.registry import explanation_sections, kind_of_run

__all__ = ["report_html", "results_json", "report_file_name", "content_security_policy"]

# Scripts by hash ({scripts}); Plotly sets inline styles and injects its own stylesheet, so styles stay inline.
_CSP = (
    "default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
    "connect-src 'none'; worker-src blob:; object-src 'none'; form-action 'none'; base-uri 'none'"
)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def content_security_policy(document: str) -> str:
    """The report's policy: every inline script of ``document`` allowed by its SHA-256, nothing else."""
    hashes = sorted({
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in _SCRIPT.findall(document)
    })  # fmt: skip
    return _CSP.format(scripts=" ".join(hashes) or "'none'")
_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 24px; color: #1a202c; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #e2e8f0; }
.meta, .note { color: #4a5568; font-size: 0.92rem; }
.headline { display: flex; gap: 2.5rem; flex-wrap: wrap; margin: 1rem 0; }
.headline div { min-width: 10rem; } .headline b { display: block; font-size: 1.35rem; }
.verdict { padding: 0.8rem 1rem; border-radius: 6px; background: #f0fff4; border: 1px solid #9ae6b4; }
.verdict.disagrees { background: #fffaf0; border-color: #fbd38d; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
@media (max-width: 900px) { .pair { grid-template-columns: 1fr; } }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.92rem; }
th, td { border: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f7fafc; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""


def report_file_name(record: RunRecord, suffix: str = "html") -> str:
    """A safe download name: ``advisor-report-<dataset stem>.<suffix>`` (letters, digits, ``-`` and ``_`` only)."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in record.dataset.name.rsplit(".", 1)[0])
    stem = "-".join(part for part in stem.split("-") if part)[:60] or "data"
    return f"advisor-report-{stem}.{suffix}"


def results_json(record: RunRecord) -> str:
    """The JSON ``python -m engine compare --json`` prints (DESIGN.md §4), for a download."""
    return json.dumps(json_safe(record.to_dict()), ensure_ascii=False, indent=1)


def report_html(record: RunRecord) -> str:
    """The whole report as one HTML document (no external requests)."""
    e = html.escape
    title = f"ML vs DL Advisor: {record.dataset.name}"
    body = "\n".join(
        [
            f"<h1>{e(title)}</h1>",
            _meta(record),
            _recommendation(record),
            _measurement(record),
            _explanations(record),
            _notes(record),
        ]
    )
    rest = (
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_STYLE}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    policy = content_security_policy(rest)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n' + rest
    )


# --- sections --------------------------------------------------------------------------


def _meta(record: RunRecord) -> str:
    e = html.escape
    d, o = record.dataset, record.options
    created = record.created_at.replace("T", " ").replace("+00:00", " UTC") if record.created_at else "unknown date"
    return (
        f'<p class="meta">{e(d.name)} · {d.rows:,} rows × {d.columns:,} columns ({e(d.kind)}) · '
        f"target <b>{e(record.target)}</b> ({e(record.task.value)}) · made {e(created)}<br>"
        f"split {record.split.train_rows:,} train / {record.split.test_rows:,} test rows, seed {o.seed} · "
        f"time budget {o.max_seconds:,g} s for the whole run (both models and SHAP) · "
        f"{wording.count(record.rows_explained, 'row')} explained "
        f"({e(record.explainer_mode)} SHAP)</p>"
    )


def _recommendation(record: RunRecord) -> str:
    e = html.escape
    rec = record.advice.recommendation
    scorecard = advice_figures.scorecard_table(rec)
    return "\n".join(
        [
            "<h2>The advice</h2>",
            '<div class="headline">'
            f"<div>Recommendation<b>{e(wording.choice_label(rec.choice))}</b></div>"
            f"<div>Confidence<b>{rec.confidence:.0%}</b></div>"
            f"<div>Weighted vote<b>{rec.score:+.2f}</b></div></div>",
            '<p class="note">Six criteria each score from −1 (classic ML) to +1 (deep learning); the recommendation '
            f"is their weighted mean (within ±0.15 a close call). {e(CONFIDENCE_MEANING)}</p>",
            _figure(advice_figures.scorecard(rec)),
            _table(scorecard, index=False),
        ]
    )


def _measurement(record: RunRecord) -> str:
    e = html.escape
    ml, dl = record.ml, record.dl
    verdict = metric_figures.verdict_sentence(record)
    metric = record.verdict.metric
    headline = pd.DataFrame(
        {
            figure_base.FAMILY_NAMES[m.family]: [
                m.name,
                f"{m.metrics[metric]:.3f}",
                f"{m.interval[0]:.3f} to {m.interval[1]:.3f}",
                f"{m.baseline:.3f}",
                wording.format_duration(m.train_seconds),
                wording.format_duration(m.predict_seconds_per_1k),
                wording.format_size(m.size_bytes),
            ]
            for m in (ml, dl)
        },
        index=["model", metric, "95% interval", "baseline", "train time", "predict / 1k rows", "model size"],
    )
    y_test = record.split.y_test
    pairs: list = []
    together: list = []
    if not rows_kept(record):
        pass  # a saved run with its results only: no labels or predictions to draw (said under the tables)
    elif record.task.is_classification:
        pairs = [
            (metric_figures.confusion_matrix(y_test, ml, record.classes), metric_figures.confusion_matrix(y_test, dl, record.classes)),
        ]
        together = [metric_figures.roc_comparison(y_test, ml, dl, record.classes)]  # both models on one chart
    else:
        pairs = [(metric_figures.predicted_vs_actual(y_test, ml, record.target), metric_figures.predicted_vs_actual(y_test, dl, record.target))]
        together = [metric_figures.residuals(y_test, ml, dl, record.target)]
    css = "verdict" if metric_figures.verdict_is_good(record) else "verdict disagrees"
    return "\n".join(
        [
            "<h2>The measurement</h2>",
            f'<p class="{css}">{e(verdict)}</p>',
            f'<p class="note">{e(wording.budget_sentence(record))}</p>',
            _table(headline),
            "<h3>All metrics on the same test rows</h3>",
            _table(metric_figures.metrics_table(ml, dl), digits=4),
            _table(metric_figures.costs_table(ml, dl), digits=2),
            *(_pair(a, b) for a, b in pairs),
            *(_figure(f) for f in together),
            *([] if rows_kept(record) else [f'<p class="note">{e(ROWS_NOT_KEPT)}</p>']),
            *(f'<p class="note">{e(n)}</p>' for n in [*ml.notes, *dl.notes]),
        ]
    )


def _explanations(record: RunRecord) -> str:
    e = html.escape
    ml, dl = record.explanations["ml"], record.explanations["dl"]
    rows = record.explained_rows
    kind = kind_of_run(record)
    by_column = shap_figures.column_views_informative(ml, dl, kind is None or kind.column_charts)
    parts = [
        "<h2>Explanations</h2>",
        f'<p class="note">SHAP values of both models on the same {wording.count(record.rows_explained, "test row")}, '
        f"per original column (classic ML: {e(ml.explainer)} explainer; deep learning: {e(dl.explainer)} explainer). "
        "Values are in the models' raw output units: log-odds or logits for classifiers, the predicted value for "
        "regression.</p>",
    ]
    parts += _kind_sections(explanation_sections(record, 0))  # the run's kind's own views, as on the page
    if by_column:
        parts += [
            _pair(shap_figures.importance_bars(ml, "ml"), shap_figures.importance_bars(dl, "dl")),
            *([_pair(shap_figures.beeswarm(ml, rows, 0, "ml"), shap_figures.beeswarm(dl, rows, 0, "dl"))] if rows_kept(record) else []),
        ]
    else:  # one bar for a text column, or a beeswarm over pixel147, says nothing: the kind's views above say more
        reason = kind.no_column_charts if kind is not None and kind.no_column_charts else "the models read one column."
        parts.append(f'<p class="note">No per-column charts: {e(reason)}</p>')
    parts += [
        f"<p>{e(shap_figures.describe_agreement(record.agreement, ml, dl))}</p>",
        _figure(shap_figures.agreement_scatter(ml, dl, record.agreement)),
    ]
    if len(rows) and rows_kept(record) and by_column:
        parts += [
            f"<h3>One row, both models: row {e(str(rows.index[0]))}</h3>",
            _pair(*shap_figures.waterfall_pair(ml, dl, 0, 0, rows.iloc[0])),  # same columns, order and x range
        ]
    checks = pd.DataFrame(
        [
            {"model": wording.side_name(f), "explainer": x.explainer, "rows": record.rows_explained,
             "check": x.additivity.describe(), "seconds": round(x.seconds, 2)}
            for f, x in (("ml", ml), ("dl", dl))
        ]
    )  # fmt: skip
    parts += ["<h3>Additivity check</h3>", _table(checks, index=False)]
    return "\n".join(parts)


def _notes(record: RunRecord) -> str:
    e = html.escape
    notes = "".join(f"<li>{e(n)}</li>" for n in record.notes)
    software = ", ".join(f"{e(k)} {e(v)}" for k, v in record.software.items())
    return "\n".join(
        [
            "<h2>Notes</h2>",
            f"<ul>{notes}</ul>" if notes else '<p class="note">No notes.</p>',
            f'<p class="note">Made with {software or "unknown versions"} · record schema {record.schema_version}.</p>',
        ]
    )


# --- pieces -------------------------------------------------------------------------


def _kind_sections(sections: list[Section]) -> list[str]:
    """A kind's sections as static HTML: each choice shown at its default, with what was chosen said."""
    parts: list[str] = []
    for section in sections:
        parts += [f"<h3>{html.escape(section.title)}</h3>", *_blocks(section.blocks)]
    return parts


def _blocks(blocks: Sequence[Block]) -> list[str]:
    e = html.escape
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"<h3>{e(block.text)}</h3>")
        elif isinstance(block, (Caption, Note)):
            parts.append(f'<p class="note">{e(block.text)}</p>')
        elif isinstance(block, Line):
            parts.append(f"<p>{f'<b>{e(block.strong)}</b> ' if block.strong else ''}{e(block.text)}</p>")
        elif isinstance(block, Chart):
            parts.append(_figure(block.figure))
        elif isinstance(block, Html):
            parts.append(block.html)  # escaped piece by piece by its builder (engine.common.sections)
        elif isinstance(block, Columns):
            columns = "".join(f"<div>{''.join(_blocks(column))}</div>" for column in block.columns)
            style = "" if len(block.columns) == 2 else f' style="grid-template-columns: repeat({len(block.columns)}, 1fr)"'
            parts.append(f'<div class="pair"{style}>{columns}</div>')
        elif isinstance(block, Choice) and block.options:
            if len(block.options) > 1:
                among = "" if block.style == "number" else f" (the app lets you choose among {len(block.options):,})"
                parts.append(f'<p class="note">{e(block.label)}: {e(block.options[block.default])}{among}</p>')
            parts += _blocks(block.render(block.default))
        elif not isinstance(block, Choice):
            raise TypeError(f"not a section block: {type(block).__name__}")
    return parts


def _figure(figure: go.Figure) -> str:
    """A figure's div and script (Plotly's JS is in the head); its JSON already escapes < > /.

    WebGL traces are drawn as SVG here: Plotly's WebGL layer compiles its
    shaders with ``eval``, which the report's policy refuses.
    """
    if any(trace.type == "scattergl" for trace in figure.data):
        figure = go.Figure(
            data=[_as_svg(trace) if trace.type == "scattergl" else trace for trace in figure.data], layout=figure.layout
        )
    return figure.to_html(
        full_html=False, include_plotlyjs=False, include_mathjax=False,
        config={"displaylogo": False, "responsive": True},
    )  # fmt: skip


def _as_svg(trace: Any) -> go.Scatter:
    """A Scattergl trace as the same Scatter trace (SVG)."""
    spec = trace.to_plotly_json()
    spec.pop("type", None)
    return go.Scatter(**spec)


def _pair(left: go.Figure, right: go.Figure) -> str:
    return f'<div class="pair"><div>{_figure(left)}</div><div>{_figure(right)}</div></div>'


def _table(frame: pd.DataFrame, index: bool = True, digits: int | None = None) -> str:
    """A DataFrame as an HTML table, every header and cell escaped."""
    e = html.escape
    head = ([e(str(frame.index.name or ""))] if index else []) + [e(str(c)) for c in frame.columns]
    lines = ["<table><thead><tr>", *(f"<th>{h}</th>" for h in head), "</tr></thead><tbody>"]
    for label, row in zip(frame.index, frame.itertuples(index=False, name=None)):
        cells = [f"<th>{e(str(label))}</th>"] if index else []
        cells += [_cell(v, digits) for v in row]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def _cell(value: Any, digits: int | None) -> str:
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{value}</td>"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return '<td class="num">–</td>'
        if abs(number) >= 1e6 or (digits is None and isinstance(value, float)):
            text = wording.format_number(number)  # "1.78 M" in the report as on the screens, never "1.78e+06"
        else:
            text = f"{number:,.{digits}f}" if digits is not None else f"{value:,}"
        return f'<td class="num">{text}</td>'
    return f"<td>{html.escape(str(value))}</td>"
