-- The last trading day the account rebalance has processed (NULL before the first run).
SELECT max(date) FROM account_nav;
