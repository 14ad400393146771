-- Current holdings: what every portfolio holds at its latest close, cash included (weights sum to 1).
-- Usage: python -m pipelines query current_holdings
SELECT portfolio_id, date, symbol, asset_class, round(quantity, 4) AS quantity,
       round(market_value, 2) AS market_value, round(100 * weight, 2) AS weight_pct
FROM v_current_holdings
ORDER BY portfolio_id, weight DESC, symbol;
