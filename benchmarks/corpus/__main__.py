"""``python -m benchmarks.corpus build [--only NAME ...] [--quick] [--split PART] [--force]``: build the corpus cache once."""

from __future__ import annotations

import argparse
import sys

from benchmarks.corpus import build
from engine.evidence.corpus import CACHE_DIR

parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description="Build the track-record corpus into its cache.")
parser.add_argument("command", nargs="?", default="build", choices=["build"], help="build (the default)")
parser.add_argument("--only", nargs="+", metavar="NAME", help="build only these entries")
parser.add_argument("--quick", action="store_true", help="build only the --quick subset")
parser.add_argument("--split", choices=["development", "sealed", "all"], default="all", help="build only this part")
parser.add_argument("--force", action="store_true", help="rebuild entries already in the cache")
args = parser.parse_args()
try:
    build(args.only, CACHE_DIR, force=args.force, quick=args.quick, split=args.split)
except Exception as error:  # noqa: BLE001 - one line, not a traceback
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(2) from None
