-- Per refit of the neural policies: its Sharpe ratio and equal weight's on the dates it served.
SELECT portfolio_id, model_version, start_date, end_date, observations, sharpe, equal_weight_sharpe, beat_equal_weight
FROM neural_refit_evaluation
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id, start_date;
