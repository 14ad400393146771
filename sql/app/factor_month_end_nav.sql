-- NAV of a set of portfolios on each one's last date of every calendar month (the latest date
-- included): the dates of the monthly factor exposures and attribution periods.
WITH ends AS (
    SELECT portfolio_id, max(date) AS date FROM nav
    WHERE portfolio_id IN (SELECT unnest($ids))
    GROUP BY portfolio_id, date_trunc('month', date))
SELECT n.portfolio_id, n.date, n.nav, n.cash
FROM nav n JOIN ends USING (portfolio_id, date)
ORDER BY n.portfolio_id, n.date;
