-- Holdings of a set of portfolios on each one's last date of every calendar month.
WITH ends AS (
    SELECT portfolio_id, max(date) AS date FROM nav
    WHERE portfolio_id IN (SELECT unnest($ids))
    GROUP BY portfolio_id, date_trunc('month', date))
SELECT p.portfolio_id, p.date, p.symbol, p.quantity
FROM positions p JOIN ends USING (portfolio_id, date)
ORDER BY p.portfolio_id, p.date, p.symbol;
