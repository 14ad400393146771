-- Analytics are recomputed whole for each portfolio: drop its rows (then insert_staged.sql).
-- {table} comes from the analytics writer's fixed list.
DELETE FROM {table} WHERE portfolio_id IN (SELECT DISTINCT portfolio_id FROM read_parquet($path));
