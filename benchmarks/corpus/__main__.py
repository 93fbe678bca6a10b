"""``python -m benchmarks.corpus [--only NAME ...] [--quick] [--force]``: build the corpus cache once."""

from __future__ import annotations

import argparse

from benchmarks.corpus import build
from engine.corpus import CACHE_DIR

parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description="Build the track-record corpus into its cache.")
parser.add_argument("--only", nargs="+", metavar="NAME", help="build only these entries")
parser.add_argument("--quick", action="store_true", help="build only the --quick subset")
parser.add_argument("--force", action="store_true", help="rebuild entries already in the cache")
args = parser.parse_args()
build(args.only, CACHE_DIR, force=args.force, quick=args.quick)
