-- Daily NAV, cash, costs and turnover of the reported portfolios.
SELECT portfolio_id, date, nav, cash, costs, turnover, daily_return
FROM nav
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id, date;
