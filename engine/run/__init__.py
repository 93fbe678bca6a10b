"""Stage 7, run: one comparison end to end, and the record it leaves.

``pipeline.compare`` loads, advises, plans the work, trains both families
through the kind registry, measures and explains them, and returns a
:class:`engine.run.record.RunRecord` (``record``: the JSON-safe result that
the figures draw and the share stage saves and reports). It sits above
measure and explain because it calls both, and below everything that reads a
finished run.
"""
