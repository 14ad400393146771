-- Tickets and costs since inception, and the last trade date, of each reported portfolio.
SELECT portfolio_id, count(*) AS tickets, sum(cost) AS costs, max(trade_date) AS last_trade_date
FROM trades
WHERE portfolio_id IN (SELECT unnest($ids))
GROUP BY portfolio_id;
