-- Columns of a table in the main schema (empty when the table does not exist yet).
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'main' AND table_name = $table
ORDER BY ordinal_position;
