#!/usr/bin/env bash
# `make run`: the whole pipeline on the embedded data. Generate the default synthetic client
# book, backfill every managed portfolio and account over the history up to the day before the
# last date, then run the daily DAGs for the last date with `airflow dags test`, and print what
# landed in DuckDB.
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
cd "$REPO"
export DAA_TASK_RETRIES="${DAA_TASK_RETRIES:-0}"
t0=$(date +%s)

last=$(python -c "from pipelines.ingest.bundled import BundledSource as S; print(S.last_date)")
first=$(python -c "from pipelines.ingest.bundled import BundledSource as S; print(S.first_date)")
prev=$(python -c "
import datetime as dt, pandas as pd
from pandas.tseries.offsets import BDay
print((pd.Timestamp('$last') - BDay(1)).date())")

echo "==> [1/5] Airflow home at $AIRFLOW_HOME (SQLite metadata, examples off)"
airflow_init

echo "==> [2/5] The default synthetic client book (config/accounts.yaml default_book)"
if ! python -m pipelines accounts generate --end "$last" >"$DAA_HOME/accounts_generate.log" 2>&1; then
  echo "    FAILED:"; tail -20 "$DAA_HOME/accounts_generate.log"; exit 1
fi
head -1 "$DAA_HOME/accounts_generate.log" | sed 's/^/    /'

echo "==> [3/5] Ingest the embedded data and backfill every portfolio and account, $first .. $prev"
log="$DAA_HOME/backfill.log"
if ! python -m pipelines -v backfill --start "$first" --end "$prev" >"$log" 2>&1; then
  echo "    backfill FAILED, last lines of $log:"; grep -v great_expectations "$log" | tail -30; exit 1
fi
grep -E "INFO pipelines\.(runner|ingest\.run)" "$log" | sed -E 's/^[0-9-]+ [0-9:,]+ INFO /    /' || true

echo "==> [4/5] Daily DAGs for $last: airflow dags test market_data, portfolio_rebalance, account_rebalance"
for dag in market_data portfolio_rebalance account_rebalance; do
  log="$AIRFLOW_HOME/dags_test_${dag}.log"
  if airflow dags test "$dag" "$last" -c "{\"as_of\": \"$last\"}" >"$log" 2>&1; then
    echo "    $dag: success (log: $log)"
  else
    echo "    $dag: FAILED, last lines of $log:"; grep -v great_expectations "$log" | tail -40; exit 1
  fi
done

echo "==> [5/5] Results from $DAA_HOME/warehouse.duckdb"
python -m pipelines summary
echo; echo "Key metrics since inception (table performance):"
python -m pipelines query portfolio_metrics
echo; echo "Client accounts by model (view v_model_accounts):"
python -m pipelines query aum_by_model 2>/dev/null | head -12
echo; echo "Today's block orders (table block_orders):"
python -m pipelines query block_orders_today 2>/dev/null | head -12
echo; python -m pipelines accounts statement A0000001 | head -40
cat <<TXT

Done in $(( $(date +%s) - t0 )) s.
Query the warehouse with SQL (read-only):
  .venv/bin/python -m pipelines query "SELECT * FROM v_portfolio_summary"
  .venv/bin/python -m pipelines query last_trades            # any file in sql/queries/
  .venv/bin/python -m pipelines accounts statement A0000042  # client accounts: docs/accounts.md
  .venv/bin/python -c "import duckdb; print(duckdb.connect('$DAA_HOME/warehouse.duckdb', read_only=True).sql('SELECT * FROM v_latest_allocations'))"
Open the Airflow UI on the same Airflow home:
  make airflow
TXT
