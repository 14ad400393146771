-- The latest target weights of one portfolio, largest first.
SELECT tw.date, tw.symbol, a.asset_class, tw.weight
FROM target_weights tw
LEFT JOIN assets a USING (symbol)
WHERE tw.portfolio_id = $portfolio_id
  AND tw.date = (SELECT max(date) FROM target_weights WHERE portfolio_id = $portfolio_id)
ORDER BY tw.weight DESC;
