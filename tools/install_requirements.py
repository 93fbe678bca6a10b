"""Install a requirements file into this virtualenv, with uv when it can and pip when it cannot; the Makefile runs it.

    .venv/bin/python tools/install_requirements.py requirements-test.txt [--warm MODULE ...] [--warm MODULE ...]

Why not plain pip: on a fresh clone pip took about 95 s to install the test
requirements here (it resolves one package at a time and unpacks serially),
while uv installs the same pinned set in under 10 s. That install is part of
every fresh clone's ``make test`` and the first ``make run``.

uv does not read pip's configuration, so the places pip was told to look
(``pip config list``: pip.conf and ``PIP_*`` variables: index, extra indexes,
find-links, constraint file, certificate) are handed to uv explicitly. uv's
index strategy is set to ``unsafe-best-match`` because that is pip's own
behaviour: every index is searched and the best matching version wins (a
pinned ``torch==2.13.0`` then finds the local CPU wheel).

Unlike pip, uv leaves the bytecode (.pyc files) to Python: precompiling all
17,000 modules took 45-58 s here, while the ~4,500 that the app and the tests
import compile in about 11 s on first import. The Makefile therefore lets
Python write them (it unexports PYTHONDONTWRITEBYTECODE); without .pyc files
every process would recompile what it imports, and the suite ran 50 % slower.
Each ``--warm`` names a group of modules imported in a child process of its
own, all groups at once: the runtime's imports warmed in 8.3 s as two groups
(torch and the app's server; scikit-learn and what builds on it) against
13.8 s in one process, on this 2-core machine.

When uv cannot be installed or fails, the same file is installed with pip, and
a line says so; the result is the same set of packages, only slower.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

UV_REQUIREMENT = "uv==0.13.9"

#: pip settings (``pip config list`` keys, without their ``global.`` / ``:env:.`` / ``install.`` prefix) → uv variables.
PIP_TO_UV = {
    "index-url": "UV_INDEX_URL",
    "extra-index-url": "UV_EXTRA_INDEX_URL",
    "find-links": "UV_FIND_LINKS",
    "constraint": "UV_CONSTRAINT",
    "cert": "SSL_CERT_FILE",
}


def pip_settings(python: str) -> dict[str, str]:
    """pip's effective settings that matter to uv (see :func:`parse_pip_config`)."""
    listed = subprocess.run(
        [python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    return parse_pip_config(listed)


def parse_pip_config(listed: str) -> dict[str, str]:
    """``pip config list`` output as ``{key: value}`` for :data:`PIP_TO_UV`'s keys; a ``PIP_*`` variable wins."""
    from_files: dict[str, str] = {}
    from_environment: dict[str, str] = {}
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        section, _, key = name.rpartition(".")
        if key in PIP_TO_UV and value:
            target = from_environment if section == ":env:" else from_files
            target[key] = value.strip().strip("'\"")
    return {**from_files, **from_environment}


def uv_environment(settings: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """The environment for ``uv pip install`` that points uv where pip's settings point pip."""
    environment = dict(base)
    for key, value in settings.items():
        words = value.split()
        # uv takes find-links comma-separated; the other lists are space-separated, as in pip.
        environment[PIP_TO_UV[key]] = ",".join(words) if key == "find-links" else " ".join(words)
    environment["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    return environment


def install_with_uv(python: str, requirements: list[str]) -> bool:
    """Install with uv (itself pip-installed into the virtualenv); False when either step fails."""
    # -qq: pip warns that the local indexes hold no "uv" folder; only an error is worth a line here.
    if subprocess.run([*_pip_install(python, "-qq"), UV_REQUIREMENT], check=False).returncode != 0:
        return False
    environment = uv_environment(pip_settings(python), dict(os.environ))
    command = [python, "-m", "uv", "pip", "install", "--quiet", "--python", python, *_from_files(requirements)]
    return subprocess.run(command, env=environment, check=False).returncode == 0


def install_with_pip(python: str, requirements: list[str]) -> int:
    """Install with pip alone; its exit status."""
    return subprocess.run([*_pip_install(python, "--quiet"), *_from_files(requirements)], check=False).returncode


def _pip_install(python: str, quiet: str) -> list[str]:
    return [python, "-m", "pip", "install", quiet, "--disable-pip-version-check"]


def _from_files(requirements: list[str]) -> list[str]:
    return [flag for requirement in requirements for flag in ("-r", requirement)]


def warm_bytecode(python: str, groups: list[list[str]]) -> bool:
    """Import each group of modules in a child process allowed to write bytecode, the groups at once.

    False (and a line per group) when an import fails. Modules that two groups
    share are compiled by whichever gets there first: Python writes each .pyc
    to a temporary file and renames it, so the other reads a whole file or
    compiles its own.
    """
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    loader = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)"
    children = [subprocess.Popen([python, "-c", loader, *modules], env=environment, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True) for modules in groups if modules]
    warmed = True
    for child in children:
        _, errors = child.communicate()
        if child.returncode != 0:
            warmed = False
            last = (errors.strip().splitlines() or ["no output"])[-1]
            print(f"install_requirements: bytecode not warmed ({last}); the first imports will compile it",
                  file=sys.stderr)
    return warmed


def main(arguments: list[str]) -> int:
    """Install every requirements file named on the command line into the running interpreter's environment."""
    parser = argparse.ArgumentParser(prog="install_requirements.py")
    parser.add_argument("files", nargs="+", metavar="REQUIREMENTS_FILE")
    parser.add_argument("--warm", nargs="+", action="append", default=[], metavar="MODULE",
                        help="import these once after installing, to write their bytecode (each --warm is one "
                             "process; several run at once)")
    args = parser.parse_args(arguments)
    missing = [name for name in args.files if not Path(name).is_file()]
    if missing:
        print(f"install_requirements.py: no such requirements file: {', '.join(missing)}", file=sys.stderr)
        return 2
    python = sys.executable
    if not install_with_uv(python, args.files):
        print("install_requirements: uv could not install them; installing with pip (slower)", file=sys.stderr)
        status = install_with_pip(python, args.files)
        if status != 0:
            return status
    if args.warm:
        warm_bytecode(python, args.warm)  # only a cache: a failed import is said, never fatal here
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
