# Sourced by the scripts: a local Airflow home inside the repo (git-ignored), SQLite metadata,
# no examples, parallelism sized for a small machine. Override any of these in the environment.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DAA_HOME="${DAA_HOME:-$REPO/var}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$DAA_HOME/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$REPO/dags}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG="${AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG:-4}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://localhost:${AIRFLOW__API__PORT}/execution/}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
export PATH="$REPO/.venv/bin:$PATH"
mkdir -p "$AIRFLOW_HOME"

airflow_init() {
  # Idempotent: migrate the metadata DB and make sure the DuckDB writer pool exists.
  airflow db migrate >"$AIRFLOW_HOME/db_migrate.log" 2>&1 || { cat "$AIRFLOW_HOME/db_migrate.log"; return 1; }
  airflow pools set duckdb_writer 1 "DuckDB has one writer at a time" >/dev/null 2>&1 \
    || { echo "could not create the duckdb_writer pool" >&2; return 1; }
}
