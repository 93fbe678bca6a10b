"""The pages' building blocks: session state, widgets, training, sharing and the per-kind views.

They live apart from ``app_pages/`` so that folder holds only pages.
"""
