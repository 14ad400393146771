-- Views and table macros over the client accounts (migration 008). Recreated on every migration
-- run, so their comments live here, after each view.

-- Positions of every account at the close of date d: holdings are stored as changes, so the
-- position is each (account, symbol)'s latest change on or before d, when not zero.
-- Usage: SELECT * FROM account_positions_at(DATE '2016-06-30') WHERE account_id = 'A0000042';
CREATE OR REPLACE MACRO account_positions_at(d) AS TABLE
SELECT account_id, symbol, CAST(arg_max(quantity, date) AS DOUBLE) AS quantity, max(date) AS since
FROM account_holdings WHERE date <= d
GROUP BY account_id, symbol HAVING arg_max(quantity, date) > 0;

-- Every account's latest day: NAV, cash, drift and its performance since inception.
CREATE OR REPLACE VIEW v_account_summary AS
WITH last AS (SELECT max(date) AS date FROM account_nav)
SELECT n.account_id, n.portfolio_id, n.date, n.nav, n.cash, n.drift, a.inception, a.fractional,
       a.fee_bps, p.twr, p.mwr, p.volatility, p.max_drawdown, p.tracking_difference, p.outside_tolerance
FROM account_nav n JOIN last USING (date)
LEFT JOIN accounts a USING (account_id)
LEFT JOIN account_performance p USING (account_id)
ORDER BY n.account_id;
COMMENT ON VIEW v_account_summary IS 'Every account at the latest processed day: NAV, cash, drift, and its returns since inception (account_performance).';
COMMENT ON COLUMN v_account_summary.account_id IS 'Account id.';
COMMENT ON COLUMN v_account_summary.portfolio_id IS 'Model portfolio followed.';
COMMENT ON COLUMN v_account_summary.date IS 'The latest processed trading day.';
COMMENT ON COLUMN v_account_summary.nav IS 'NAV at the close.';
COMMENT ON COLUMN v_account_summary.cash IS 'Cash at the close.';
COMMENT ON COLUMN v_account_summary.drift IS 'Drift from the model after the day''s trades.';
COMMENT ON COLUMN v_account_summary.inception IS 'Inception date (accounts table).';
COMMENT ON COLUMN v_account_summary.fractional IS 'Fractional units (true) or whole units.';
COMMENT ON COLUMN v_account_summary.fee_bps IS 'Advisory fee, bps a year.';
COMMENT ON COLUMN v_account_summary.twr IS 'Time-weighted return since inception.';
COMMENT ON COLUMN v_account_summary.mwr IS 'Money-weighted return (XIRR) since inception.';
COMMENT ON COLUMN v_account_summary.volatility IS 'Annualised volatility of the daily returns.';
COMMENT ON COLUMN v_account_summary.max_drawdown IS 'Worst drawdown of the time-weighted index.';
COMMENT ON COLUMN v_account_summary.tracking_difference IS 'twr minus the model''s return over the same days.';
COMMENT ON COLUMN v_account_summary.outside_tolerance IS 'Drift above the account''s tolerance after the day''s trades.';

-- Per model on the latest processed day: the book's size, the day's flows and trading.
CREATE OR REPLACE VIEW v_model_accounts AS
WITH last AS (SELECT max(date) AS date FROM account_nav),
flows AS (
    SELECT f.account_id,
           sum(f.amount) FILTER (WHERE f.kind IN ('initial_deposit', 'deposit', 'recurring')) AS deposits,
           sum(f.amount) FILTER (WHERE f.kind = 'withdrawal') AS withdrawals
    FROM account_flows f JOIN last USING (date) WHERE f.status = 'applied' GROUP BY f.account_id
), tickets AS (
    SELECT t.account_id, count(*) AS tickets
    FROM account_trades t JOIN last ON t.trade_date = last.date GROUP BY t.account_id
)
SELECT n.portfolio_id, pf.name AS portfolio, n.date AS as_of, count(*) AS accounts, sum(n.nav) AS aum,
       coalesce(sum(f.deposits), 0) AS deposits, coalesce(sum(f.withdrawals), 0) AS withdrawals,
       count(*) FILTER (WHERE p.outside_tolerance) AS outside_tolerance,
       coalesce(sum(t.tickets), 0) AS trades, count(t.account_id) AS accounts_traded
FROM account_nav n JOIN last USING (date)
LEFT JOIN flows f USING (account_id)
LEFT JOIN tickets t USING (account_id)
LEFT JOIN account_performance p USING (account_id)
LEFT JOIN portfolios pf ON pf.portfolio_id = n.portfolio_id
GROUP BY ALL
ORDER BY aum DESC;
COMMENT ON VIEW v_model_accounts IS 'Per model portfolio on the latest processed day: accounts, AUM, the day''s flows, accounts outside tolerance and the day''s account trades.';
COMMENT ON COLUMN v_model_accounts.portfolio_id IS 'Model portfolio id.';
COMMENT ON COLUMN v_model_accounts.portfolio IS 'Model portfolio name.';
COMMENT ON COLUMN v_model_accounts.as_of IS 'The latest processed trading day.';
COMMENT ON COLUMN v_model_accounts.accounts IS 'Accounts following the model.';
COMMENT ON COLUMN v_model_accounts.aum IS 'Assets under management: the accounts'' NAV summed.';
COMMENT ON COLUMN v_model_accounts.deposits IS 'Deposits of the day (initial deposits and contributions included).';
COMMENT ON COLUMN v_model_accounts.withdrawals IS 'Withdrawals paid that day.';
COMMENT ON COLUMN v_model_accounts.outside_tolerance IS 'Accounts whose drift exceeds their tolerance after the day''s trades.';
COMMENT ON COLUMN v_model_accounts.trades IS 'Account tickets of the day.';
COMMENT ON COLUMN v_model_accounts.accounts_traded IS 'Accounts with at least one ticket that day.';
