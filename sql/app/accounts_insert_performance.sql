INSERT INTO account_performance BY NAME SELECT *, $run_id AS run_id FROM read_parquet($paths);
