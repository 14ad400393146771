-- The most recent trades of every portfolio (the last date each portfolio traded).
SELECT t.trade_date, t.portfolio_id, t.symbol, t.side, round(t.quantity, 4) AS quantity,
       round(t.price, 4) AS price, round(t.notional, 2) AS notional, round(t.cost, 2) AS cost, t.reason
FROM trades t
JOIN (SELECT portfolio_id, max(trade_date) AS trade_date FROM trades GROUP BY portfolio_id) last
  USING (portfolio_id, trade_date)
ORDER BY t.portfolio_id, t.side DESC, t.notional DESC;
