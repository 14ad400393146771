INSERT INTO account_holdings BY NAME
SELECT * REPLACE (CAST(quantity AS DECIMAL(18, 6)) AS quantity), $run_id AS run_id FROM read_parquet($paths);
