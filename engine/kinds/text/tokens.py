"""The one regular-expression tokenizer every text model and the token explainer share.

A token is a run of word characters (``\\w+``, Unicode-aware), lower-cased;
everything between tokens (spaces, punctuation, emoji, markup) separates them.
The token explainer (:mod:`engine.kinds.text.explain`) hides and shows the pieces
:func:`segments` cuts, so the tokens it credits are exactly the tokens the
models read.
Light on purpose (``re`` only): the pages import it to redraw a document.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from engine.common import thresholds as th

__all__ = [
    "TOKEN_PATTERN", "SEPARATOR_PATTERN", "as_text", "tokenize", "character_ngrams", "truncate", "segments",
]

TOKEN_PATTERN = r"\w+"
SEPARATOR_PATTERN = r"\W+"
_TOKEN = re.compile(TOKEN_PATTERN)
_SEPARATOR = re.compile(SEPARATOR_PATTERN)


def as_text(value: Any) -> str:
    """A cell as a document: missing values are the empty document."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def tokenize(text: Any, max_tokens: int = th.TEXT_MAX_TOKENS) -> list[str]:
    """The document's first ``max_tokens`` tokens, lower-cased."""
    return [m.group(0).lower() for _, m in zip(range(max_tokens), _TOKEN.finditer(as_text(text)))]


def character_ngrams(text: Any) -> list[str]:
    """Character 2- to 5-grams within each token, the token padded with a space on each side.

    The n-grams scikit-learn's ``analyzer="char_wb", ngram_range=(2, 5)`` takes
    from the tokens joined by spaces (tested equal), computed once per distinct token:
    a vocabulary of reviews repeats its words, and the per-character Python
    loop was most of the TF-IDF model's fitting and prediction time.
    """
    grams: list[str] = []
    for token in tokenize(text):
        grams.extend(_token_character_ngrams(token))
    return grams


@functools.lru_cache(maxsize=1 << 17)
def _token_character_ngrams(token: str) -> tuple[str, ...]:
    padded = f" {token} "
    grams = []
    for n in range(2, 6):
        if n > len(padded):  # a short token counts once, whole, like scikit-learn's char_wb
            break
        grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return tuple(grams)


def truncate(text: Any, max_tokens: int = th.TEXT_MAX_TOKENS) -> str:
    """The document cut right after its ``max_tokens``-th token (models never read further)."""
    text = as_text(text)
    end = None
    for count, match in enumerate(_TOKEN.finditer(text), start=1):
        if count == max_tokens:
            end = match.end()
            break
    return text if end is None else text[:end]


def segments(text: Any) -> list[tuple[str, str]]:
    """(token as written, separator after it) in reading order (the split of SHAP's ``Text(SEPARATOR_PATTERN)`` masker).

    Joining every token and separator gives back the document; a document that
    starts with a separator begins with an empty token.
    """
    text = as_text(text)
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in _SEPARATOR.finditer(text):
        start, end = match.span()
        pieces.append((text[position:start], text[start:end]))
        position = end
    if position != len(text):
        pieces.append((text[position:], ""))
    return pieces
