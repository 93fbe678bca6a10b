"""Stage 8, figures: every Plotly figure the pages and the report draw, pure Plotly (no Streamlit).

Split by what they draw: the data's profile, the advice's criteria, the
models' metrics and verdict, the SHAP explanations, and the track record.
A kind's own figures (pixel maps, highlighted words) live in its kind and
use the helpers here.
"""
