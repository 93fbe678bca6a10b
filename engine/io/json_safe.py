"""Values made strict JSON: the one conversion the CLI's output and the report's JSON download share."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """NaN and infinity as null; numpy scalars and arrays as Python numbers and lists; keys as text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)) and hasattr(value, "tolist"):
        return json_safe(value.tolist())
    if hasattr(value, "item"):  # numpy scalars
        return json_safe(value.item())
    return value
