-- Weights over time for the weights chart, at the last NAV date of every week: by asset class,
-- or by symbol when a portfolio holds a single non-cash asset class (an all-equity portfolio
-- would otherwise be one block), plus the uninvested cash from nav.cash, so a date sums to 1.
WITH dates AS (
    SELECT portfolio_id, max(date) AS date
    FROM nav WHERE portfolio_id IN (SELECT unnest($ids))
    GROUP BY portfolio_id, yearweek(date)
), classes AS (
    SELECT p.portfolio_id, count(DISTINCT a.asset_class) FILTER (WHERE a.asset_class <> 'cash') AS n
    FROM (SELECT portfolio_id, unnest(universe) AS symbol FROM portfolios) p
    JOIN assets a USING (symbol)
    GROUP BY p.portfolio_id
)
SELECT ps.portfolio_id, ps.date,
       CASE WHEN c.n <= 1 THEN ps.symbol ELSE coalesce(a.asset_class, ps.symbol) END AS label,
       c.n <= 1 AS by_symbol, sum(ps.weight) AS weight
FROM positions ps
JOIN dates USING (portfolio_id, date)
JOIN classes c USING (portfolio_id)
LEFT JOIN assets a USING (symbol)
GROUP BY ALL
UNION ALL
SELECT n.portfolio_id, n.date, 'cash', c.n <= 1, n.cash / n.nav
FROM nav n
JOIN dates USING (portfolio_id, date)
JOIN classes c USING (portfolio_id)
ORDER BY 1, 2, 3;
