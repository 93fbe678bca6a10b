"""Stage 11, evidence: how often the advice is right, measured on a corpus of real datasets.

``corpus`` reads the benchmark corpus's manifest and its sealed split;
``track_record`` runs the product's comparison on each entry (through the
executors) and scores the advice against the measured winner. The top of the
flow: nothing in the engine imports it.
"""
