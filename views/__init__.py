"""The pages' building blocks: session state, widgets, training, sharing and the per-kind views.

They live apart from ``pages/`` so that folder holds only pages (the menu lists pages, never helpers).
"""
