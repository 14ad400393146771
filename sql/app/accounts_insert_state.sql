INSERT INTO account_state BY NAME SELECT *, $run_id AS run_id FROM read_parquet($paths);
