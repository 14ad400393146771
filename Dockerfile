# The one image every Airflow service of docker-compose.yml runs: our code and the pinned lock.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AIRFLOW_HOME=/opt/airflow \
    DAA_HOME=/data \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/daa/dags

# libpq for the Postgres metadata database; tini reaps the Celery worker's children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 tini curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 50000 --gid 0 airflow \
 && mkdir -p /opt/airflow /data /opt/daa \
 && chown -R 50000:0 /opt/airflow /data /opt/daa

WORKDIR /opt/daa
# The lock first, so code edits do not reinstall dependencies.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=50000:0 pyproject.toml ./
COPY --chown=50000:0 pipelines ./pipelines
COPY --chown=50000:0 models ./models
COPY --chown=50000:0 dags ./dags
COPY --chown=50000:0 sql ./sql
COPY --chown=50000:0 config ./config
COPY --chown=50000:0 data ./data
RUN pip install --no-deps -e .

USER 50000
VOLUME ["/data"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["airflow", "version"]
