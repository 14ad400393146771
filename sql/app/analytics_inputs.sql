-- NAV rows of a set of portfolios (analytics inputs), with the model version serving each date.
SELECT portfolio_id, date, nav, cash, costs, turnover, daily_return, model_version
FROM nav WHERE portfolio_id IN (SELECT unnest($ids)) ORDER BY portfolio_id, date;
