-- A new book replaces the old one: every account table is emptied (one transaction with the load).
DELETE FROM account_performance;
DELETE FROM account_state;
DELETE FROM account_holdings;
DELETE FROM block_orders;
DELETE FROM account_trades;
DELETE FROM account_nav;
DELETE FROM account_flows;
DELETE FROM cash_flows;
DELETE FROM account_restrictions;
DELETE FROM accounts;
