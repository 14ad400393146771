-- NAV history and cash of one portfolio strictly before a date: the state a run starts from.
SELECT date, nav, cash
FROM nav
WHERE portfolio_id = $portfolio_id AND date < $before
ORDER BY date;
