-- Views over the curated Parquet lake. The two placeholders are replaced by the lake's folders
-- (quoted as a SQL string literal) each time migrations run, so the warehouse follows DAA_HOME.
CREATE OR REPLACE VIEW prices AS
SELECT date, symbol, close
FROM read_parquet({curated_prices}, hive_partitioning = true, union_by_name = true);
COMMENT ON VIEW prices IS 'Daily closes of every symbol from the curated Parquet lake (validated by the quality gate).';
COMMENT ON COLUMN prices.date IS 'Trading date.';
COMMENT ON COLUMN prices.symbol IS 'Symbol (see assets).';
COMMENT ON COLUMN prices.close IS 'Close (adjusted for the stocks; SPX is a price index without dividends; bond and cash series are total-return indices).';

CREATE OR REPLACE VIEW macro AS
SELECT series, obs_date, release_date, value
FROM read_parquet({curated_macro}, hive_partitioning = true, union_by_name = true);
COMMENT ON VIEW macro IS 'Macro observations from the curated Parquet lake, each with the date it became known (point in time).';
COMMENT ON COLUMN macro.series IS 'Series id (config/universe.yaml macro_series).';
COMMENT ON COLUMN macro.obs_date IS 'Date (or month) the observation is about.';
COMMENT ON COLUMN macro.release_date IS 'Date the value became known; a computation for date D uses rows with release_date <= D.';
COMMENT ON COLUMN macro.value IS 'Observed value in the series'' unit.';
