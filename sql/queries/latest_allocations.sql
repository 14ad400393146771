-- Latest allocations: each portfolio's most recent target weights, cash included, largest first.
-- Usage: python -m pipelines query latest_allocations
SELECT portfolio_id, date, symbol, asset_class, round(100 * weight, 2) AS weight_pct
FROM v_latest_allocations
ORDER BY portfolio_id, weight DESC, symbol;
