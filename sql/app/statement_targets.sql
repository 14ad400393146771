-- The targets a model had in force at the close of $end (its latest adopted ones).
SELECT symbol, weight FROM target_weights
WHERE portfolio_id = $portfolio_id AND adopted
  AND date = (SELECT max(date) FROM target_weights WHERE portfolio_id = $portfolio_id AND adopted AND date <= $end);
