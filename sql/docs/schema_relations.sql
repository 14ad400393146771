-- Tables then views of the main schema with their comments (the schema page's sections).
SELECT 'table' AS kind, table_name AS name, comment
FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal AND NOT temporary
UNION ALL
SELECT 'view', view_name, comment
FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal AND NOT temporary
ORDER BY kind, name;
