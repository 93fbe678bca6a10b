"""tools/audit_dependencies.py: fails on a known vulnerability, skips with a reason when the database is unreachable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "tools"))
import audit_dependencies as audit  # noqa: E402


def fake_run(stdout: str, stderr: str = ""):
    def run(command, **kwargs):  # noqa: ANN001, ANN202
        assert "--no-deps" in command and "requirements.txt" in " ".join(command)
        return subprocess.CompletedProcess(command, 1, stdout=stdout, stderr=stderr)

    return run


def report(*dependencies: dict) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails(monkeypatch, capsys):
    vuln = {"id": "PYSEC-0000-1", "fix_versions": ["9.9"], "aliases": ["CVE-0000-1"]}
    monkeypatch.setattr(subprocess, "run", fake_run(report({"name": "pkg", "version": "1.0", "vulns": [vuln]})))
    assert audit.main() == 1
    assert "pkg==1.0: PYSEC-0000-1 (fixed in: 9.9)" in capsys.readouterr().out


def test_an_accepted_vulnerability_passes(monkeypatch, capsys):
    vuln = {"id": "GHSA-x", "fix_versions": [], "aliases": ["CVE-0000-2"]}
    monkeypatch.setattr(audit, "ACCEPTED", {"CVE-0000-2": "not reachable from the app"})
    monkeypatch.setattr(subprocess, "run", fake_run(report({"name": "pkg", "version": "1.0", "vulns": [vuln]})))
    assert audit.main() == 0
    assert "1 accepted" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("stdout", "stderr", "reason"),
    [
        ("", "ConnectionError: Max retries exceeded with url: /pypi/torch/2.13.0/json", "could not reach its database"),
        (report({"name": "torch", "version": "2.13.0", "skip_reason": "Dependency not found on PyPI"}), "", "answered for none"),
    ],
)
def test_an_unreachable_database_is_not_audited_never_a_pass(monkeypatch, capsys, stdout, stderr, reason):
    monkeypatch.setattr(subprocess, "run", fake_run(stdout, stderr))
    assert audit.main([]) == audit.NOT_AUDITED != 0
    out = capsys.readouterr().out
    assert out.startswith("NOT AUDITED: ") and reason in out and "AUDITED: all" not in out
    assert audit.main(["--require-database"]) == 1  # CI with the internet: not auditing fails


def test_no_vulnerabilities_and_an_unreachable_database_read_differently(monkeypatch, capsys):
    clean = report({"name": "pkg", "version": "1.0", "vulns": []}, {"name": "other", "version": "2.0", "vulns": []})
    monkeypatch.setattr(subprocess, "run", fake_run(clean))
    assert audit.main([]) == 0
    assert "AUDITED: all 2 pins" in capsys.readouterr().out
    partial = report({"name": "pkg", "version": "1.0", "vulns": []},
                     {"name": "torch", "version": "2.13.0", "skip_reason": "Dependency not found on PyPI"})
    monkeypatch.setattr(subprocess, "run", fake_run(partial))
    assert audit.main([]) == audit.NOT_AUDITED  # one pin unknown: not a clean bill
    assert "NOT AUDITED: 1 of 2 pins" in capsys.readouterr().out


def test_make_audit_prints_the_not_audited_line_and_goes_on(tmp_path):
    """The Makefile's audit recipe: exit 3 prints the line and continues, exit 1 stops make."""
    recipe = (Path(__file__).parents[1] / "Makefile").read_text()
    assert "NOT AUDITED" in recipe and "$$status -eq 3" in recipe
