"""The split of `make test` into its two parts (tests/conftest.py): which modules each part imports and runs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest

TESTS = Path(__file__).resolve().parent


def ignored(name: str, markexpr: str) -> bool | None:
    config = SimpleNamespace(getoption=lambda option, default=None: markexpr if option == "markexpr" else default)
    return conftest.pytest_ignore_collect(TESTS / name, config)  # type: ignore[arg-type]


def test_every_module_named_in_the_split_exists():
    """A renamed module would silently leave its part: a clock-judging test would then share the machine."""
    for name in conftest.SERIAL_MODULES | conftest.ONE_CLUSTER_AT_A_TIME:
        assert (TESTS / name).is_file(), name
    assert not conftest.SERIAL_MODULES & conftest.ONE_CLUSTER_AT_A_TIME


@pytest.mark.parametrize("name", sorted(conftest.SERIAL_MODULES))
def test_a_serial_module_is_imported_only_by_the_serial_part(name):
    assert ignored(name, "serial") is None
    assert ignored(name, " not serial ") is True


@pytest.mark.parametrize("name", ["test_cli.py", "test_e2e_browser.py", "test_ray_executor.py", "test_suite_parts.py"])
def test_any_other_module_is_imported_only_by_the_parallel_part(name):
    assert ignored(name, "not serial") is None
    assert ignored(name, "serial") is True


@pytest.mark.parametrize("markexpr", ["", "slow", "serial or not serial"])
def test_other_selections_import_every_module(markexpr):
    for name in ("test_cli.py", "test_concurrency.py"):
        assert ignored(name, markexpr) is None


def test_files_that_are_not_test_modules_are_left_to_pytest():
    assert ignored("conftest.py", "serial") is None
    assert ignored("__init__.py", "not serial") is None
