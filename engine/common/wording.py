"""Words and number formats shared by the pages, the CLI and reports, so all say the same thing."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = [
    "SIDES", "choice_label", "side_name", "format_difference", "baseline_delta", "format_number", "format_signed",
    "format_duration", "format_size", "count", "outcome_key", "outcome_label", "outcome_phrase", "stage_table",
    "STAGE_LABELS", "TIE_MARGIN_WORDS", "budget_sentence", "count_units", "training_sentence",
]


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


#: Suffixes for large magnitudes, largest first: "1.78 M", "3.2 bn" (thousands keep their separators).
_LARGE = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"))


def format_number(value: float, digits: int = 4, keep_zeros: bool = False) -> str:
    """One way to write a number on every screen: '1.78 M' in the millions, '1,296' in the thousands, '0.4213'.

    ``digits`` significant digits below a thousand (and at most three in the
    millions, where more would only be noise on a screen); ``keep_zeros``
    keeps trailing zeros there ('0.3250' beside '0.3311' in one column, '+7.00' beside '+0.940').
    """
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    for scale, suffix in _LARGE:
        if magnitude >= scale * 0.9995:  # 999,700 reads "1.00 M", not "1,000 k"
            scaled = value / scale
            decimals = max(min(digits, 3) - len(str(int(round(abs(scaled), 2)))), 0)
            return f"{scaled:.{decimals}f} {suffix}"
    if magnitude >= 1_000:
        return f"{value:,.0f}"
    text = f"{value:#.{digits}g}" if keep_zeros else f"{value:.{digits}g}"
    text = text.rstrip(".")  # "#" leaves "120." for three digits of 120
    if "e" in text:  # tiny values: 1.2e-05 is clearer than 0.000012 and no longer
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def format_signed(value: float, digits: int = 3) -> str:
    """:func:`format_number` with its sign always shown ('+1.78 M', '-0.0123'), for pushes and differences."""
    if value == 0:
        return "0"  # no push at all: "+0.00" read as a rounded push
    text = format_number(abs(value), digits, keep_zeros=True)
    return ("-" if value < 0 else "+") + text


_LINE_BREAKS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def one_line(value: object) -> str:
    """A user's value (a class, a column name) for a one-line message: line breaks and control characters
    written as escapes ("no\\nreally"), spaces kept ("mid " is not "mid")."""
    return _LINE_BREAKS.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), str(value))


def count(n: int | float, noun: str, plural: str | None = None) -> str:
    """'1 epoch', '2 epochs', '1,000 rows', '1 split': the number with separators and the noun agreeing with it."""
    number = f"{n:,}" if isinstance(n, int) or float(n).is_integer() else f"{n:,.1f}"
    number = number.replace(".0", "") if number.endswith(".0") else number
    word = noun if abs(float(n)) == 1 else (plural or _plural(noun))
    return f"{number} {word}"


def count_units(n: int | float, plural_unit: str) -> str:
    """:func:`count` for a unit named in the plural ('boosting rounds', 'epochs'): '1 boosting round', '200 epochs'."""
    words = plural_unit.rsplit(" ", 1)
    last = words[-1]
    singular = last[:-3] + "y" if last.endswith("ies") else last[:-2] if last.endswith(("sses", "xes")) else (
        last[:-1] if last.endswith("s") else last)
    return count(n, " ".join([*words[:-1], singular]), plural_unit)


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "sh")):  # not "ch": epoch -> epochs
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def format_duration(seconds: float) -> str:
    """'850 ms', '12.3 s' or '2 min 05 s'."""
    if seconds < 1:
        return f"{1000 * seconds:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def training_sentence(training: dict[str, Any] | None) -> str | None:
    """What a side's final model trained on (the record's ``training[side]``), or None for an older record."""
    if not training:
        return None
    rows = f"{int(training['rows']):,} training rows"
    workers = int(training.get("workers", 1))
    if workers <= 1:
        return f"Trained on {rows} in one process."
    device = str(training.get("device") or "cpu").upper()
    return f"Trained on all {rows}, data-parallel on {workers} Ray workers ({device}, {training['trainer']})."


def format_size(size_bytes: int) -> str:
    """'640 B', '12 KiB' or '3.4 MiB'."""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} KiB"
    return f"{size_bytes / 1024 / 1024:.1f} MiB"


# --- what a verdict says, in one word or one phrase -----------------------------------------

#: The practical-tie margin in words: the threshold below which a difference is called a tie.
TIE_MARGIN_WORDS = "0.5 points"


def outcome_key(verdict: object) -> str:
    """'unfair', 'inconclusive', 'tie', 'ml' or 'dl': what a verdict may be summarised as, most cautious first.

    Reads ``fair`` and ``conclusive`` with defaults, so a verdict (or a record's
    verdict dict) written before either existed still reads.
    """
    get = verdict.get if isinstance(verdict, dict) else lambda name, default=None: getattr(verdict, name, default)
    if get("fair", True) is False:
        return "unfair"
    if get("conclusive", True) is False:
        return "inconclusive"
    winner = get("winner", "tie")
    return winner if winner in ("ml", "dl", "tie") else "tie"


_OUTCOME_LABELS = {
    "unfair": "Not a fair comparison",
    "inconclusive": "Inconclusive",
    "tie": "Tie",
    "ml": "Classic ML won",
    "dl": "Deep learning won",
}
_OUTCOME_PHRASES = {
    "unfair": "not a fair comparison",
    "inconclusive": "inconclusive",
    "tie": "a tie",
    "ml": "classic ML won",
    "dl": "deep learning won",
}


def outcome_label(key: str) -> str:
    """A table cell for an outcome key (History's list): 'Inconclusive', 'Classic ML won', …"""
    return _OUTCOME_LABELS.get(key, SIDES[key].short if key in SIDES else key)


def outcome_phrase(verdict: object) -> str:
    """The outcome inside a sentence ('done in 8 s: inconclusive'); never "won" beside an inconclusive verdict."""
    return _OUTCOME_PHRASES[outcome_key(verdict)]


def budget_sentence(record: object) -> str:
    """Whether the time budget was binding, in one sentence (plain text): the app and the report say the same.

    The budget covers the whole run: training both models and SHAP share it.
    """
    options = getattr(record, "options")
    stops = list(getattr(record, "budget_stops", []) or [])
    seconds = f"{options.max_seconds:,g} s"
    verdict = getattr(record, "verdict", None)
    if not stops and verdict is not None and getattr(verdict, "fair", True) is False:
        # planned work too small for a fair fight: nothing was cut, but "all finished within it" would contradict the verdict
        return (
            f"The time budget of {seconds} for the whole run (both models and SHAP) left too little work for a fair "
            "comparison (see the verdict): train again with a larger budget."
        )
    if stops:
        return (
            f"The time budget of {seconds} for the whole run (both models and SHAP) was binding: {'; '.join(stops)}. "
            "A larger budget may change these results."
        )
    if getattr(record, "plan_reduced", False):
        # the clock cut nothing, but the plan made before training was less than the full work: not "all finished"
        return (
            f"The time budget of {seconds} for the whole run (both models and SHAP) was binding: it planned less than "
            "the full work (the notes say what, and what budget plans it all); the clock cut nothing short. "
            "A larger budget may change these results."
        )
    return f"The time budget of {seconds} for the whole run (both models and SHAP) was not binding: all finished within it."


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
    "both_sides_at_once": "both families at once (wall clock; the stages above overlap)",
    "explaining_both_at_once": "explaining both at once (wall clock)",
}


def stage_table(stage_seconds: dict[str, float]) -> pd.DataFrame:
    """Seconds per stage of a comparison, in the order they ran."""
    return pd.DataFrame(
        {"seconds": [round(v, 2) for v in stage_seconds.values()]},
        index=pd.Index([STAGE_LABELS.get(k, k.replace("_", " ")) for k in stage_seconds], name="stage"),
    )
