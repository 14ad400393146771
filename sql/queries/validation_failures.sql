-- Failed expectations of the latest validation runs: what broke, where, and sample rows.
SELECT as_of, run_id, severity, dataset, suite, check_name, column_name, unexpected_count,
       unexpected_sample, batch_path
FROM validation_results
WHERE NOT success
ORDER BY validated_at DESC, seq
LIMIT 50;
