"""The HTML report and results JSON: self-contained, both models' charts, every user string inert; the CLI flag."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from engine.run.record import RunRecord
from engine.share.report import report_file_name, report_html, results_json
from tests.share_helpers import HOSTILE_NAME, SCRIPT_COLUMN, hostile_record

ROOT = Path(__file__).resolve().parents[1]
WINE = ROOT / "sample_data" / "wine.csv"


@pytest.fixture(scope="module")
def record() -> RunRecord:
    return RunRecord.from_json(hostile_record().to_json())  # as the store gives it back: no models


@pytest.fixture(scope="module")
def report(record: RunRecord) -> str:
    return report_html(record)


def _figures(report: str) -> list[dict]:
    """Each embedded figure's data and layout, decoded from the Plotly.newPlot calls."""
    decoder = json.JSONDecoder()
    figures = []
    for match in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", report):
        data, end = decoder.raw_decode(report, match.end())
        layout, _ = decoder.raw_decode(report, end + report[end:].index("{"))
        figures.append({"data": data, "layout": layout})
    return figures


def test_the_report_embeds_plotly_and_asks_for_nothing_outside_the_file(report: str) -> None:
    bundle = get_plotlyjs()
    assert bundle in report  # the whole library, inline
    rest = report.replace(bundle, "")
    # no tag loads a script, stylesheet, image or frame (user text with "src=" is escaped, so it opens no tag)
    assert not re.search(r"<[a-z]+\b[^>]*\b(src|href|data)\s*=", rest, re.IGNORECASE)
    assert "http" not in rest.replace("http-equiv", "")
    assert "default-src 'none'" in rest and "connect-src 'none'" in rest  # and the browser is told to refuse


def test_the_policy_allows_exactly_the_reports_scripts_by_hash(report: str) -> None:
    import base64
    import hashlib

    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', report).group(1)
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", report, re.DOTALL)
    expected = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts}
    assert set(directives["script-src"]) == expected and len(scripts) >= 5
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert directives["form-action"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert directives["default-src"] == ["'none'"] and directives["object-src"] == ["'none'"]
    traces = [trace.get("type") for figure in _figures(report) for trace in figure["data"]]
    assert "scatter" in traces and "scattergl" not in traces  # WebGL would need 'unsafe-eval': drawn as SVG


def test_the_report_holds_the_advice_metrics_verdict_and_both_models_charts(report: str, record: RunRecord) -> None:
    titles = [f["layout"]["title"]["text"] for f in _figures(report)]
    assert "Criterion scorecard: contribution to the vote" in titles
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: confusion matrix" in titles
        assert f"{family}: global importance (mean |SHAP|)" in titles
        assert any(t.startswith(f"{family}: SHAP beeswarm") for t in titles)
        assert any(t.startswith(f"{family}: this row's explanation") for t in titles)
    assert any(t.startswith("Importance per column") for t in titles)
    for model in (record.ml, record.dl):
        assert f"{model.metrics['accuracy']:.3f}" in report
        assert f"{model.interval[0]:.3f} to {model.interval[1]:.3f}" in report
    assert "Spearman rank correlation" in report and "Additivity check" in report
    assert any(words in report for words in ("agrees with", "does not agree with", "does not test the recommendation",
                                             "Not a fair comparison"))


def test_every_user_string_is_escaped(report: str) -> None:
    bundle = get_plotlyjs()
    rest = report.replace(bundle, "")
    tags = re.findall(r"<(script|img|u|i|b)\b[^>]*>", rest)
    assert set(tags) <= {"script", "b"}  # the report's own <b> and <script> only
    scripts = re.findall(r"<script\b[^>]*>", report)
    assert len(scripts) == 1 + len(_figures(report))  # the bundle and one per figure, nothing a user named
    assert html.escape(SCRIPT_COLUMN) in rest  # in the tables, as text
    assert html.escape(HOSTILE_NAME) in rest  # the file name in the title and the header
    assert "<script>alert(1)</script>" not in rest and "<img src=x" not in rest
    # inside figures the name is escaped for Plotly, which then shows it literally
    figure_text = json.dumps(_figures(report), ensure_ascii=False)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in figure_text and "<script>" not in figure_text


def test_results_json_is_the_cli_contract_and_the_file_name_is_safe(record: RunRecord) -> None:
    payload = json.loads(results_json(record))
    assert payload == json.loads(json.dumps(record.to_dict(), default=str).replace("NaN", "null"))
    assert {"recommendation", "task", "split", "models", "winner", "agreed_with_recommendation", "explanations"} <= set(
        payload
    )
    for suffix in ("html", "json"):
        name = report_file_name(record, suffix)
        assert re.fullmatch(r"advisor-report-[A-Za-z0-9_-]+\." + suffix, name), name


def test_cli_compare_writes_the_report_and_still_prints_the_json(tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    shown = subprocess.run(
        [sys.executable, "-m", "engine", "compare", str(WINE), "--max-seconds", "1", "--shap-rows", "10",
         "--report", str(out), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-2000:]
    payload = json.loads(shown.stdout)
    assert payload["winner"] in ("ml", "dl", "tie", "unfair") and "explanations" in payload  # 1 s may cut one side short
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "wine.csv" in text
    assert f"{payload['models']['ml']['metrics']['accuracy']:.3f}" in text


def test_cli_refuses_an_unwritable_report_before_training(tmp_path: Path) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "engine", "compare", str(WINE), "--report", str(tmp_path / "missing" / "out.html"),
         "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 2 and shown.stdout == ""
    lines = shown.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write the report") and "does not exist" in lines[0]
