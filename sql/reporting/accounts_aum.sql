-- AUM and accounts of each reported model portfolio's client accounts at each week's last
-- trading day (the accounts section's chart).
WITH weeks AS (SELECT max(date) AS date FROM account_nav GROUP BY yearweek(date))
SELECT n.portfolio_id, n.date, sum(n.nav) AS aum, count(*) AS accounts
FROM account_nav n JOIN weeks USING (date)
WHERE n.portfolio_id IN (SELECT unnest($ids))
GROUP BY ALL
ORDER BY n.portfolio_id, n.date;
