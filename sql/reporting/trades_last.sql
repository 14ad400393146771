-- The tickets of each reported portfolio's last trade date.
SELECT portfolio_id, trade_date, symbol, side, quantity, price, notional, cost, reason
FROM trades t
WHERE portfolio_id IN (SELECT unnest($ids))
  AND trade_date = (SELECT max(trade_date) FROM trades l WHERE l.portfolio_id = t.portfolio_id)
ORDER BY portfolio_id, side DESC, symbol;
