-- What each reported portfolio holds at its latest close, cash included (v_current_holdings).
SELECT portfolio_id, date, symbol, asset_class, quantity, price, market_value, weight
FROM v_current_holdings
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id, weight DESC, symbol;
