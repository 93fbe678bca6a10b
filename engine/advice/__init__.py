"""Stage 3, advice: classic ML or deep learning, by published criteria, before any training.

``engine.advice.recommend`` is the criteria module (its vote is
``engine.advice.recommend.recommend``; :func:`engine.advise` the entry point).
It reads a profile and the registry's kind decision, and imports no training
library, so the advice answers in well under a second.
"""
