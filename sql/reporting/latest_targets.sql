-- The last target weights of each reported portfolio, dated their rebalance (v_latest_allocations).
SELECT portfolio_id, date, symbol, asset_class, weight
FROM v_latest_allocations
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id, weight DESC, symbol;
