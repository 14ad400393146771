#!/usr/bin/env bash
# `make airflow`: the Airflow UI and scheduler on the repo's Airflow home (Ctrl-C stops it).
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
cd "$REPO"
airflow_init
pw="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
cat <<TXT
Starting airflow standalone
  UI:        http://localhost:${AIRFLOW__API__PORT}
  user:      admin
  password:  generated on first start, stored in $pw
             (cat it once the server is up; it is also printed in the log below)
TXT
exec airflow standalone
