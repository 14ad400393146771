DELETE FROM regimes WHERE (date, model_name) IN (SELECT (CAST(date AS DATE), model_name) FROM read_parquet($path));
INSERT INTO regimes BY NAME SELECT * REPLACE (CAST(date AS DATE) AS date) FROM read_parquet($path);
