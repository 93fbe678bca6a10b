"""Speed, memory and quality budgets of the advisor, run with ``python -m benchmarks``.

``budgets`` holds every budget number; ``datasets`` makes the seeded synthetic
tables; ``reference`` is the plain script the product is measured against;
``harness`` runs and times child processes; ``report`` turns measurements into
tables and budget checks (pure functions, unit-tested on tiny inputs).
"""
