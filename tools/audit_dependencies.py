"""Audit the pinned requirements for known vulnerabilities with pip-audit; `make test` runs it.

    .venv/bin/python tools/audit_dependencies.py

Runs ``pip-audit -r requirements.txt -r requirements-test.txt --no-deps
--disable-pip`` (the files pin every direct dependency; ``--no-deps`` audits
exactly those pins without building an environment). Exit status:

- 0 (``AUDITED: ...``): every pin was checked and none has a known
  vulnerability outside ACCEPTED;
- 1: a pinned version has a known vulnerability not listed in ACCEPTED below
  (upgrade the pin, or record why it does not apply here, in ACCEPTED and in
  the README's "Dependency audit");
- 3 (``NOT AUDITED: ...``): the vulnerability database could not be reached
  for some or all pins (no network, a registry mirror without PyPI's
  per-version JSON), so nothing is known about them. It never reads as a pass:
  ``make audit`` prints the line and goes on, and ``--require-database`` (CI
  with the internet) turns it into a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ("requirements.txt", "requirements-test.txt")
TIMEOUT_SECONDS = 180
#: Vulnerability ids known not to apply, each with its reason (keep the README in step).
ACCEPTED: dict[str, str] = {}
NOT_AUDITED = 3


def main(argv: list[str] | None = None) -> int:
    require = "--require-database" in (sys.argv[1:] if argv is None else argv)
    status = _audit()
    if status == NOT_AUDITED and require:
        print("failing: --require-database was given and the vulnerability database could not be used")
        return 1
    return status


def _audit() -> int:
    command = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    for name in REQUIREMENTS:
        command += ["-r", str(ROOT / name)]
    try:
        child = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, cwd=ROOT)
    except FileNotFoundError as error:
        return _skip(f"pip-audit is not installed ({error})")
    except subprocess.TimeoutExpired:
        return _skip(f"no answer from the vulnerability database within {TIMEOUT_SECONDS} s")
    try:
        report = json.loads(child.stdout)
    except json.JSONDecodeError:
        last = (child.stderr.strip().splitlines() or ["no output"])[-1]
        return _skip(f"pip-audit could not reach its database ({last[:200]})")
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if not d.get("skip_reason")]
    if not audited:
        reason = dependencies[0].get("skip_reason", "no dependencies listed") if dependencies else "no dependencies listed"
        return _skip(f"the vulnerability database answered for none of the {len(dependencies)} pins (e.g. {reason})")
    findings = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
    new = [(n, ver, v) for n, ver, v in findings if v["id"] not in ACCEPTED and not set(v.get("aliases", [])) & set(ACCEPTED)]
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    print(
        f"pip-audit: {len(audited)} pinned package(s) audited, {len(findings)} known vulnerabilit(ies), "
        f"{len(findings) - len(new)} accepted"
    )
    for name, version, vuln in new:
        fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
        print(f"  {name}=={version}: {vuln['id']} (fixed in: {fixed})")
    if new:
        return 1
    if skipped:
        return _skip(f"{len(skipped)} of {len(dependencies)} pins were not found in the database: {', '.join(skipped)}")
    print(f"AUDITED: all {len(audited)} pins, no known vulnerability outside ACCEPTED")
    return 0


def _skip(reason: str) -> int:
    """Nothing is known about (some) pins: say so in one line that cannot be mistaken for a pass."""
    print(f"NOT AUDITED: {reason}")
    return NOT_AUDITED


if __name__ == "__main__":
    raise SystemExit(main())
