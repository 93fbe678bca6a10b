"""Common ground, below every stage: the numbers and the words the whole engine shares.

``thresholds`` holds every published criterion and measured constant (each
with its source), ``limits`` every cap that keeps one user's data from taking
the machine, ``wording`` how numbers and outcomes are said on a screen,
``sections`` the blocks a data kind describes its own page and report views
with. They import nothing from the engine, so any stage may import them.
"""
