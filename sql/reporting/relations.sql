-- Tables and views of the main schema: which optional inputs (performance, regimes, factor
-- tables, the lake's prices view) this warehouse has.
SELECT table_name AS name FROM duckdb_tables() WHERE schema_name = 'main'
UNION ALL
SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal;
