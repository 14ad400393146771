-- The day's block orders: every account ticket of a symbol netted into one order for the desk.
-- Quantities are DECIMAL(18, 6), so the allocation (account_trades) reconciles exactly.
INSERT INTO block_orders
SELECT trade_date, symbol,
       CASE WHEN buys > sells THEN 'BUY' WHEN buys < sells THEN 'SELL' ELSE 'NONE' END AS side,
       buys - sells AS net_quantity, buys AS buy_quantity, sells AS sell_quantity, buys + sells AS gross_quantity,
       price, CAST(buys - sells AS DOUBLE) * price AS net_notional, accounts, tickets,
       $run_id AS run_id, $data_snapshot AS data_snapshot
FROM (
    SELECT trade_date, symbol,
           coalesce(sum(quantity) FILTER (WHERE side = 'BUY'), 0) AS buys,
           coalesce(sum(quantity) FILTER (WHERE side = 'SELL'), 0) AS sells,
           max(price) AS price, count(DISTINCT account_id) AS accounts, count(*) AS tickets
    FROM account_trades WHERE trade_date BETWEEN $start AND $end
    GROUP BY trade_date, symbol
);
