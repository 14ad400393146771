-- Bought and sold notional per day of each reported portfolio (for the trades chart), with the
-- day's ticket count; the first trading day (the funding of the portfolio) is left out.
SELECT portfolio_id, trade_date,
       sum(notional) FILTER (WHERE side = 'BUY') AS bought,
       sum(notional) FILTER (WHERE side = 'SELL') AS sold,
       count(*) AS tickets
FROM trades t
WHERE portfolio_id IN (SELECT unnest($ids))
  AND trade_date > (SELECT min(trade_date) FROM trades f WHERE f.portfolio_id = t.portfolio_id)
GROUP BY ALL
ORDER BY portfolio_id, trade_date;
