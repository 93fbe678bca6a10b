"""Stage 2, profile: what the data is, before anything is trained.

``profile`` measures rows, columns, column kinds, the task and the likely
target (the kinds register their column detectors by name); ``features``
turns the profiled columns into the encoders the models train on and maps
encoded features back to the original columns for the explanations;
``leakage`` names the feature columns that alone give the target away. It
imports :mod:`engine.io` and :mod:`engine.common` only. The kind registry
(:mod:`engine.registry`) sits right above it: it decides the data's kind
from a profile.
"""
