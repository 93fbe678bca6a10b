"""The installer the Makefile runs (tools/install_requirements.py): pip's settings reach uv, and pip is the fallback."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "install_requirements.py"
spec = importlib.util.spec_from_file_location("install_requirements", TOOL)
assert spec is not None and spec.loader is not None
install_requirements = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_requirements)

PIP_CONFIG_LIST = """\
:env:.find-links='/opt/env-wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels /opt/more-wheels'
global.timeout='60'
"""


def test_pip_settings_are_read_and_an_environment_variable_wins_over_a_file() -> None:
    settings = install_requirements.parse_pip_config(PIP_CONFIG_LIST)
    assert settings == {
        "find-links": "/opt/env-wheels",
        "cert": "/etc/ssl/certs/ca-certificates.crt",
        "constraint": "/etc/xdg/pip/constraints.txt",
        "extra-index-url": "file:///opt/pypi/simple file:///opt/pypi-more/simple",
    }


def test_uv_is_pointed_where_pip_looks_and_searches_every_index_like_pip() -> None:
    settings = {"find-links": "/opt/wheels /opt/more-wheels", "extra-index-url": "file:///a file:///b"}
    environment = install_requirements.uv_environment(settings, {"PATH": "/usr/bin"})
    assert environment["UV_FIND_LINKS"] == "/opt/wheels,/opt/more-wheels"
    assert environment["UV_EXTRA_INDEX_URL"] == "file:///a file:///b"
    assert environment["UV_INDEX_STRATEGY"] == "unsafe-best-match"
    assert environment["PATH"] == "/usr/bin"
    assert "UV_INDEX_URL" not in environment


def test_when_uv_fails_pip_installs_the_same_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("example==1.0\n")
    calls: list[list[str]] = []
    monkeypatch.setattr(install_requirements, "install_with_uv", lambda python, files: False)

    def fake_pip(python: str, files: list[str]) -> int:
        calls.append(files)
        return 0

    monkeypatch.setattr(install_requirements, "install_with_pip", fake_pip)
    assert install_requirements.main([str(requirements)]) == 0
    assert calls == [[str(requirements)]]


def test_a_missing_requirements_file_is_one_usage_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert install_requirements.main(["no-such-requirements.txt"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_warm_imports_the_modules_in_a_child_allowed_to_write_bytecode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    package = tmp_path / "warm_probe"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    other = tmp_path / "other_probe.py"
    other.write_text("VALUE = 2\n")
    assert install_requirements.warm_bytecode(sys.executable, [["warm_probe"], ["other_probe"]])
    assert list((package / "__pycache__").glob("__init__.*.pyc"))
    assert list((tmp_path / "__pycache__").glob("other_probe.*.pyc"))


def test_a_module_that_does_not_import_is_one_line_and_not_fatal(capsys: pytest.CaptureFixture[str]) -> None:
    assert not install_requirements.warm_bytecode(sys.executable, [["json"], ["no_such_module_anywhere"]])
    errors = capsys.readouterr().err
    assert errors.count("bytecode not warmed") == 1 and "no_such_module_anywhere" in errors


def test_files_before_warm_are_installed_and_the_modules_after_it_warmed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("example==1.0\n")
    seen: dict[str, list[str]] = {}
    monkeypatch.setattr(install_requirements, "install_with_uv", lambda python, files: seen.update(files=files) or True)
    monkeypatch.setattr(install_requirements, "warm_bytecode", lambda python, modules: seen.update(modules=modules) or True)
    assert install_requirements.main([str(requirements), "--warm", "torch", "shap", "--warm", "pandas"]) == 0
    assert seen == {"files": [str(requirements)], "modules": [["torch", "shap"], ["pandas"]]}
