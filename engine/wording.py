"""Words and number formats shared by the pages, the CLI and reports, so all say the same thing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["SIDES", "choice_label", "side_name", "format_difference", "baseline_delta", "format_number", "format_duration", "format_size", "stage_table", "STAGE_LABELS"]


@dataclass(frozen=True)
class SideWords:
    """How one side of the decision (or an outcome) is named: in a headline, in a table, inside a sentence."""

    headline: str
    short: str
    in_sentence: str


#: The one label map for recommendations (ml/dl/either), outcomes (tie) and criteria (neutral).
SIDES: dict[str, SideWords] = {
    "ml": SideWords("Classic machine learning", "Classic ML", "classic ML"),
    "dl": SideWords("Deep learning", "Deep learning", "deep learning"),
    "either": SideWords("A close call: train both", "Close call", "a close call"),
    "tie": SideWords("A tie", "Tie", "a tie"),
    "unfair": SideWords("Not a fair comparison", "Not a fair fight", "not a fair comparison"),
    "neutral": SideWords("Neutral", "Neutral", "neutral"),
}


def choice_label(choice: str) -> str:
    """The headline for a recommendation: 'Classic machine learning', …"""
    return SIDES[choice].headline


def side_name(side: str) -> str:
    """The short name of a side or outcome: 'Classic ML', 'Deep learning', 'Tie', …"""
    return SIDES[side].short


def format_difference(value: float, interval_width: float) -> str:
    """``value`` with the decimals its interval's width calls for: 0.014 stays 0.014, 3.41 points shows 3.4."""
    width = abs(interval_width)
    decimals = 1 if width <= 0 else min(max(1 - math.floor(math.log10(width)), 1), 4)
    return f"{value:.{decimals}f}"


def baseline_delta(value: float, baseline: float, flagged: bool) -> tuple[str, str, str]:
    """A score against its baseline as ``st.metric``'s (delta, delta_color, delta_arrow).

    A gain that rounds to zero reads "±0.000" with no arrow (not a red
    "↑ +0.000"); a flagged model's gain is grey, never green; a loss is red.
    """
    gain = value - baseline
    if abs(gain) < 0.0005:
        return "±0.000 vs baseline", "off", "off"
    color = "off" if flagged and gain > 0 else "normal"
    return f"{gain:+.3f} vs baseline", color, "auto"


def format_number(value: float) -> str:
    """Thousands separators for large numbers, four significant digits otherwise: '1,296,109', '0.4213'."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1_000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_duration(seconds: float) -> str:
    """'850 ms', '12.3 s' or '2 min 05 s'."""
    if seconds < 1:
        return f"{1000 * seconds:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def format_size(size_bytes: int) -> str:
    """'640 B', '12 KiB' or '3.4 MiB'."""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} KiB"
    return f"{size_bytes / 1024 / 1024:.1f} MiB"


STAGE_LABELS = {
    "profile_and_split": "profile, advice and split",
    "profile": "  profile",
    "recommend": "  advice",
    "warm_up": "one-off start-up (warm-up fits)",
    "train_ml": "train classic ML",
    "train_dl": "train deep learning",
    "evaluate": "score both",
    "explain_ml": "explain classic ML",
    "explain_dl": "explain deep learning",
}


def stage_table(stage_seconds: dict[str, float]) -> pd.DataFrame:
    """Seconds per stage of a comparison, in the order they ran."""
    return pd.DataFrame(
        {"seconds": [round(v, 2) for v in stage_seconds.values()]},
        index=pd.Index([STAGE_LABELS.get(k, k.replace("_", " ")) for k in stage_seconds], name="stage"),
    )
