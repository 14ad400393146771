INSERT OR REPLACE INTO portfolios BY NAME SELECT * FROM read_parquet($path);
