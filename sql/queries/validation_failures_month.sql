-- Validation failures this month: every failed expectation whose as-of date falls in the month of
-- the latest validation run (or of $month, e.g. --param month=2016-12-01), newest first.
-- Usage: python -m pipelines query validation_failures_month [--param month=2016-12-01]
WITH m AS (
    SELECT coalesce(date_trunc('month', CAST($month AS DATE)),
                    (SELECT date_trunc('month', max(as_of)) FROM validation_results)) AS month
)
SELECT v.as_of, v.severity, v.dataset, v.suite, v.check_name, v.column_name, v.unexpected_count,
       v.unexpected_sample, v.batch_path, v.run_id
FROM validation_results v, m
WHERE NOT v.success AND date_trunc('month', v.as_of) = m.month
ORDER BY v.validated_at DESC, v.seq;
