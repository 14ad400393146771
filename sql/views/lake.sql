-- Views over the curated Parquet lake. The two placeholders are replaced by the lake's folders
-- (quoted as a SQL string literal) each time migrations run, so the warehouse follows DAA_HOME.
CREATE OR REPLACE VIEW prices AS
SELECT date, symbol, close
FROM read_parquet({curated_prices}, hive_partitioning = true, union_by_name = true);

CREATE OR REPLACE VIEW macro AS
SELECT series, obs_date, release_date, value
FROM read_parquet({curated_macro}, hive_partitioning = true, union_by_name = true);
