#!/usr/bin/env bash
# `make run`: the whole pipeline on the embedded data. Generate the default synthetic client
# book, backfill every managed portfolio and account over the history up to the day before the
# last date (the Airflow metadata DB is migrated meanwhile), then run the daily DAGs for the
# last date in one `dag.test()` process (scripts/demo_dag_runs.py), and print what landed in
# DuckDB and where the reports, the warehouse and the UI are. Every step prints its progress as
# plain lines (also when the output is not a terminal) and its time; the last screen lists them.
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
cd "$REPO"
export DAA_TASK_RETRIES="${DAA_TASK_RETRIES:-0}"
t0="${DAA_RUN_T0:-$(date +%s)}"   # make passes the time before `make setup`
times=()
[ -n "${DAA_RUN_T0:-}" ] && times+=("$(printf '  %-44s %4d s' "install (make setup)" $(( $(date +%s) - t0 )))")

step() { s0=$(date +%s); echo "==> [$1/5] $2"; }
took() {
  local d=$(( $(date +%s) - s0 ))
  times+=("$(printf '  %-44s %4d s' "$1" "$d")")
  echo "    $1: $d s"
}
fail() { echo "    FAILED, last lines of $1:"; grep -v great_expectations "$1" | tail -"${2:-30}"; exit 1; }

read -r first prev last < <(python -c "
import pandas as pd
from pandas.tseries.offsets import BDay
from pipelines.ingest.bundled import BundledSource as S
print(S.first_date, (pd.Timestamp(S.last_date) - BDay(1)).date(), S.last_date)")

step 1 "Airflow home at $AIRFLOW_HOME (SQLite metadata, examples off): migrating in the background"
init_log="$AIRFLOW_HOME/init.log"
( airflow_init >"$init_log" 2>&1 ) &
init_pid=$!

step 2 "The default synthetic client book (config/accounts.yaml default_book)"
gen_log="$DAA_HOME/accounts_generate.log"
python -m pipelines accounts generate --end "$last" >"$gen_log" 2>&1 || fail "$gen_log"
head -1 "$gen_log" | sed 's/^/    /'
took "client book"

step 3 "Ingest the embedded data and backfill every portfolio and account, $first .. $prev"
log="$DAA_HOME/backfill.log"
# progress lines on the console as they come, everything (warnings included) in the log
python -m pipelines backfill --start "$first" --end "$prev" --workers 2 --no-analytics >"$log" 2>&1 &
bf_pid=$!
tail -n +1 -f "$log" --pid "$bf_pid" 2>/dev/null | grep --line-buffered -E '^    \[' || true
wait "$bf_pid" || fail "$log"
took "backfill $first .. $prev"
s0=$(date +%s)
wait "$init_pid" || { cat "$init_log"; exit 1; }
took "waiting for the Airflow metadata DB"

step 4 "Daily DAGs for $last: market_data, portfolio_rebalance, account_rebalance (dag.test, logical date now)"
af_log="$AIRFLOW_HOME/dags_test.log"
python scripts/demo_dag_runs.py --as-of "$last" --log "$af_log" || fail "$af_log" 40
took "daily DAG runs for $last (Airflow)"

step 5 "Results from $DAA_HOME/warehouse.duckdb"
python -m pipelines summary
echo; echo "Key metrics since inception (table performance):"
python -m pipelines query portfolio_metrics
echo; echo "Client accounts by model (view v_model_accounts):"
python -m pipelines query aum_by_model | head -12
echo; echo "Today's block orders (table block_orders):"
python -m pipelines query block_orders_today | head -12
echo; python -m pipelines accounts statement A0000001 | head -40
took "results"
cat <<TXT

Done in $(( $(date +%s) - t0 )) s:
$(printf '%s\n' "${times[@]}")

Reports (HTML, open offline):  file://$DAA_HOME/reports/index.html  (one page per portfolio beside it)
Warehouse (DuckDB):            $DAA_HOME/warehouse.duckdb  (tables and views: docs/schema.md)
Airflow UI:                    make airflow, then http://localhost:${AIRFLOW__API__PORT} (user admin;
                               password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)
                               the three runs above carry their business date $last in the run note
Logs:                          $log, $af_log
Query the warehouse with SQL (read-only):
  .venv/bin/python -m pipelines query "SELECT * FROM v_portfolio_summary"
  .venv/bin/python -m pipelines query last_trades            # any file in sql/queries/ (query --list)
  .venv/bin/python -m pipelines accounts statement A0000042  # client accounts: docs/accounts.md
TXT
