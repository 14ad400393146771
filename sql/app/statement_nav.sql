-- An account's daily rows up to $end (all of them: the period's and the history before it).
SELECT date, portfolio_id, nav, cash, net_flow, daily_return, drift FROM account_nav
WHERE account_id = $account_id AND date <= $end ORDER BY date;
