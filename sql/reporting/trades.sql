-- Every trade of one portfolio: signed notional per day for the trades plot, detail for the table.
SELECT trade_date, symbol, side, quantity, price, notional, cost, reason
FROM trades
WHERE portfolio_id = $portfolio_id
ORDER BY trade_date, symbol;
