-- The desk's block orders of the latest trade date (or of $date): per symbol the net order, the gross it replaces, and how many account tickets it nets.
-- Usage: python -m pipelines query block_orders_today [--param date=2017-03-01]
SELECT b.trade_date, b.symbol, b.side, b.net_quantity, b.buy_quantity, b.sell_quantity, b.gross_quantity,
       round(b.price, 4) AS price, round(b.net_notional, 2) AS net_notional, b.accounts, b.tickets
FROM block_orders b
WHERE b.trade_date = coalesce(CAST($date AS DATE), (SELECT max(trade_date) FROM block_orders))
ORDER BY abs(b.net_notional) DESC;
