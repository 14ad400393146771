"""Multi-factor and regime models (scikit-learn estimators) and the model registry.

A library: estimators and maths over arrays and frames, no I/O beyond the registry directory it
is given. Nothing here imports Airflow or the rest of `pipelines` (features excepted); the
pipeline side (training on the lake, serving, loading) is `pipelines.modeling`.
"""
