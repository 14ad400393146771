-- The largest client flows (deposits, contributions, withdrawals, rejected ones included) since $since (default: the last 30 days).
-- Usage: python -m pipelines query largest_flows [--param since=2017-01-01]
SELECT f.date, f.account_id, a.portfolio_id, f.kind, round(f.amount, 2) AS amount, f.status, f.note
FROM account_flows f JOIN accounts a USING (account_id)
WHERE f.kind IN ('initial_deposit', 'deposit', 'recurring', 'withdrawal')
  AND f.date >= coalesce(CAST($since AS DATE), (SELECT max(date) FROM account_flows) - INTERVAL 30 DAY)
ORDER BY f.amount DESC
LIMIT 25;
