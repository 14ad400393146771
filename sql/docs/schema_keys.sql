-- Primary key columns of every table of the main schema.
SELECT table_name, constraint_column_names
FROM duckdb_constraints()
WHERE schema_name = 'main' AND constraint_type = 'PRIMARY KEY';
