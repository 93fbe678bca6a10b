"""Stage 6, explain: SHAP values for both models, side by side.

``explanation`` is the one explanation type (SHAP per original column, the
agreement between the two models, additivity checks); ``explain`` computes it
for tabular models (tree, linear, permutation SHAP through shap's public
API). Other kinds' explainers live in their kind and return the same type.
"""
