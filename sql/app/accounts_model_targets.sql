-- The targets each model adopted up to $as_of (cash rows left out: cash is the remainder).
SELECT portfolio_id, date, symbol, weight, model_version
FROM target_weights
WHERE adopted AND date <= $as_of AND list_contains($models, portfolio_id) AND symbol <> $cash_symbol
ORDER BY portfolio_id, date, symbol;
