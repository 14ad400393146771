-- Accounts at the latest processed day, optionally of one model ($model), at most $limit rows.
SELECT * FROM v_account_summary WHERE ($model IS NULL OR portfolio_id = $model) LIMIT $limit;
