#!/usr/bin/env bash
# `make stack-test`: the docker-compose topology run natively (PostgreSQL, Redis, Airflow
# api-server, scheduler, dag-processor, triggerer, two Celery workers), driven through the REST
# API. Needs Debian's postgresql and redis-server (and chromium for the report screenshot):
# as root it installs them when missing. DAA_STACK_KEEP=1 keeps the temp dir and its logs.
# Screenshots of the Airflow UI and of the reports go to $DAA_SCREENSHOT_DIR (build/stack-test/).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[stack] installing ${need[*]}"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
  else
    echo "[stack] missing ${need[*]}: sudo apt-get install -y ${need[*]}" >&2; exit 1
  fi
fi
export DAA_SCREENSHOT_DIR="${DAA_SCREENSHOT_DIR:-$REPO/build/stack-test}"
mkdir -p "$DAA_SCREENSHOT_DIR"
t0=$(date +%s)
set +e
.venv/bin/python -m pytest -s -p no:cacheprovider tests/stack/check_stack.py tests/reporting/check_browser.py "$@" 2>&1 \
  | grep -v great_expectations
rc=${PIPESTATUS[0]}
set -e
echo "[stack] screenshots: $DAA_SCREENSHOT_DIR"
echo "[stack] finished in $(( $(date +%s) - t0 )) s (exit $rc)"
exit "$rc"
