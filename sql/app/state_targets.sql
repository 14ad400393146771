-- Risky target weights in force for one portfolio: the last evaluation strictly before a date.
SELECT symbol, weight
FROM target_weights
WHERE portfolio_id = $portfolio_id
  AND date = (SELECT max(date) FROM target_weights WHERE portfolio_id = $portfolio_id AND date < $before);
