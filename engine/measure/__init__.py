"""Stage 5, measure: how much each model trains, on which split, and how it is scored.

``budget`` and ``work`` turn the time budget into work (rounds, epochs,
steps) before training; ``deadline`` is the one clock a comparison shares;
``evaluate`` splits, scores and decides the verdict with intervals;
``capacity`` caps trainings running at once on a server; ``preload`` imports
the training libraries in the background. It may import the models, never
the explanations or anything that shares a result.
"""
