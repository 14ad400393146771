-- Daily NAV, cash, costs and turnover of one portfolio.
SELECT date, nav, cash, costs, turnover, daily_return, rebalanced, run_id
FROM nav
WHERE portfolio_id = $portfolio_id
ORDER BY date;
