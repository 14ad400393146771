-- Account tickets per trading day and reason over the last 260 trading days of account trades.
WITH days AS (SELECT DISTINCT trade_date FROM account_trades ORDER BY trade_date DESC LIMIT 260)
SELECT t.portfolio_id, t.trade_date, t.reason, count(*) AS tickets, sum(t.notional) AS notional
FROM account_trades t JOIN days USING (trade_date)
WHERE t.portfolio_id IN (SELECT unnest($ids))
GROUP BY ALL
ORDER BY t.portfolio_id, t.trade_date, t.reason;
