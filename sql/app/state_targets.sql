-- Risky target weights in force for one portfolio: the last adopted targets strictly before a
-- date, with the model version that produced them.
SELECT symbol, weight, model_version
FROM target_weights
WHERE portfolio_id = $portfolio_id
  AND date = (SELECT max(date) FROM target_weights
              WHERE portfolio_id = $portfolio_id AND date < $before AND adopted IS NOT FALSE);
