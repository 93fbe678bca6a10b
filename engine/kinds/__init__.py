"""The built-in data kinds; importing this package registers each of them (see :mod:`engine.registry`)."""

from engine.kinds import tabular  # noqa: F401
from engine.kinds import text  # noqa: F401
from engine.kinds import images  # noqa: F401

__all__ = ["tabular"]
