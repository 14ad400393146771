-- End-of-day weights by asset class (cash included as its own class) of one portfolio.
SELECT p.date, coalesce(a.asset_class, p.symbol) AS asset_class, sum(p.weight) AS weight
FROM positions p
LEFT JOIN assets a USING (symbol)
WHERE p.portfolio_id = $portfolio_id
GROUP BY ALL
ORDER BY p.date, asset_class;
