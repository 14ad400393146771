"""Airflow wiring only: the DAG files and the builder that makes their tasks from the pipeline
definition (`pipelines.steps`). Installed with the project so DAG files import `dags._wiring`
wherever the scheduler parses them."""
