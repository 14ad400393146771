INSERT OR REPLACE INTO assets BY NAME SELECT * FROM read_parquet($path);
