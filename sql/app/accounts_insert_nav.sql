INSERT INTO account_nav BY NAME
SELECT *, $run_id AS run_id, $data_snapshot AS data_snapshot FROM read_parquet($paths);
