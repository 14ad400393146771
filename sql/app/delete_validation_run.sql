DELETE FROM validation_results
WHERE run_id IN (SELECT DISTINCT run_id FROM read_parquet($path));
