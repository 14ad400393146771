-- Account views that price holdings with the lake's closes (created when the curated lake exists).

-- What every account holds at the latest processed day, priced at that close, plus its cash.
CREATE OR REPLACE VIEW v_account_holdings AS
WITH last AS (SELECT max(date) AS date FROM account_nav),
held AS (
    SELECT h.account_id, h.symbol, CAST(arg_max(h.quantity, h.date) AS DOUBLE) AS quantity
    FROM account_holdings h, last WHERE h.date <= last.date
    GROUP BY h.account_id, h.symbol HAVING arg_max(h.quantity, h.date) > 0
)
SELECT n.account_id, n.portfolio_id, n.date, h.symbol, h.quantity, pr.close AS price,
       h.quantity * pr.close AS market_value, h.quantity * pr.close / n.nav AS weight
FROM account_nav n JOIN last USING (date)
JOIN held h USING (account_id)
LEFT JOIN prices pr ON pr.symbol = h.symbol AND pr.date = n.date
UNION ALL
SELECT n.account_id, n.portfolio_id, n.date, c.symbol, NULL, NULL, n.cash, n.cash / n.nav
FROM account_nav n JOIN last USING (date)
CROSS JOIN (SELECT coalesce(min(symbol), 'CASH') AS symbol FROM assets WHERE asset_class = 'cash') c
ORDER BY account_id, market_value DESC;
COMMENT ON VIEW v_account_holdings IS 'Current holdings of every account at the latest processed day (positions from account_holdings priced at that close, plus a CASH row); weights of NAV.';
COMMENT ON COLUMN v_account_holdings.account_id IS 'Account id.';
COMMENT ON COLUMN v_account_holdings.portfolio_id IS 'Model portfolio followed.';
COMMENT ON COLUMN v_account_holdings.date IS 'The latest processed trading day.';
COMMENT ON COLUMN v_account_holdings.symbol IS 'Symbol held, or the cash symbol (CASH) for the cash balance.';
COMMENT ON COLUMN v_account_holdings.quantity IS 'Units held (NULL for cash).';
COMMENT ON COLUMN v_account_holdings.price IS 'Close of the day (NULL for cash).';
COMMENT ON COLUMN v_account_holdings.market_value IS 'quantity x price, or the cash balance.';
COMMENT ON COLUMN v_account_holdings.weight IS 'market_value / NAV (the accrued fee makes the weights sum slightly above 1).';
