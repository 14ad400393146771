DELETE FROM model_versions WHERE model_version IN (SELECT model_version FROM read_parquet($path));
INSERT INTO model_versions BY NAME SELECT * FROM read_parquet($path);
