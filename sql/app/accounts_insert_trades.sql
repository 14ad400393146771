INSERT INTO account_trades BY NAME
SELECT * REPLACE (CAST(quantity AS DECIMAL(18, 6)) AS quantity), $run_id AS run_id, $data_snapshot AS data_snapshot
FROM read_parquet($paths);
