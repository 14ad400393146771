-- Holdings of a set of portfolios at every close (analytics inputs).
SELECT portfolio_id, date, symbol, quantity
FROM positions WHERE portfolio_id IN (SELECT unnest($ids)) ORDER BY portfolio_id, date, symbol;
