DELETE FROM factor_exposures WHERE (date, entity_type, entity) IN
    (SELECT (CAST(date AS DATE), entity_type, entity) FROM read_parquet($path));
INSERT INTO factor_exposures BY NAME SELECT * REPLACE (CAST(date AS DATE) AS date) FROM read_parquet($path);
