"""One clock for a whole comparison: training of both families and SHAP share it.

A :class:`Deadline` is made once (by the command line when it starts, or by
:func:`engine.run.pipeline.compare`) and passed down; each stage asks it how many
seconds it may take. Stages check it between units of work (a boosting round,
an epoch, a SHAP pass), so a run ends within its budget plus one such unit and
the fixed tail of scoring (see ``engine.common.limits.DEADLINE_OVERHEAD_SECONDS``).
"""

from __future__ import annotations

import time

__all__ = ["Deadline", "SafetyNet"]


class Deadline:
    """``seconds`` from creation (or from ``start``, a ``time.perf_counter()`` reading)."""

    def __init__(self, seconds: float, start: float | None = None) -> None:
        if not seconds > 0:
            raise ValueError("a deadline needs a positive number of seconds")
        self.seconds = float(seconds)
        self.start = time.perf_counter() if start is None else start

    @property
    def at(self) -> float:
        """The ``time.perf_counter()`` reading at which the budget is spent."""
        return self.start + self.seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        """Seconds left, never below zero."""
        return max(self.at - time.perf_counter(), 0.0)

    def expired(self) -> bool:
        return time.perf_counter() >= self.at

    def share(self, fraction: float, floor: float = 0.0) -> float:
        """``fraction`` of the seconds left (at least ``floor``): one stage's slice of what remains."""
        return max(self.remaining() * fraction, floor)

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.remaining():.1f} s left)"


class SafetyNet:
    """The clock as a safety net under planned work: each stage may use its planned share of the time left.

    ``planned_seconds`` is the whole plan's cost on the reference machine
    (:class:`engine.measure.budget.WorkBudget`). A stage planned at ``e`` seconds, with
    ``p`` planned seconds still ahead, may run for ``e / p`` of what the
    deadline has left: the plan's slack is shared in proportion, so on a machine
    slower than planned every stage slows alike before any is cut.

    ``whole=True`` (the corpus run): every stage may use all the deadline has
    left. The planned work alone decides how much each side trains; the clock
    only ends a run that overruns the whole deadline. Shares made the work
    depend on the machine: a stage whose cost the model underestimates on a
    busy machine was cut at its share while most of the deadline went unused
    (issue 17: 4 of 640 optimiser steps after 120 s of a 600 s deadline).
    """

    def __init__(self, deadline: Deadline, planned_seconds: float, *, whole: bool = False) -> None:
        self.deadline = deadline
        self.left = max(float(planned_seconds), 0.0)
        self.whole = whole

    def allow(self, estimated_seconds: float, floor: float = 0.05) -> float:
        """Seconds the next stage (planned at ``estimated_seconds``) may run before the clock stops it."""
        estimated = max(float(estimated_seconds), 0.0)
        if self.whole:
            self.left = max(self.left - estimated, 0.0)
            return max(self.deadline.remaining(), floor)
        if estimated == 0.0:
            # A family with no cost model (a kind registered without one) has no planned share: it may use half
            # of what is left, so the clock still leaves room for the rest instead of stopping it at once.
            return max(self.deadline.remaining() * 0.5, floor)
        share = 1.0 if self.left <= estimated else estimated / self.left
        self.left = max(self.left - estimated, 0.0)
        return max(self.deadline.remaining() * share, floor)
