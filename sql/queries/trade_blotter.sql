-- Trade blotter for one date: every trade of every portfolio on that day, with costs.
-- Usage: python -m pipelines query trade_blotter --param date=2016-12-01
SELECT trade_date, portfolio_id, symbol, asset_class, side, round(quantity, 4) AS quantity,
       round(price, 4) AS price, round(notional, 2) AS notional, round(cost, 2) AS cost, reason, run_id
FROM v_trade_blotter
WHERE trade_date = CAST($date AS DATE)
ORDER BY portfolio_id, side DESC, notional DESC;
