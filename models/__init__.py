"""Multi-factor and regime models (scikit-learn estimators) and the model registry.

Nothing here imports Airflow; the `model_training` DAG calls `models.training`.
"""
