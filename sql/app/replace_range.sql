-- Idempotent load: remove a portfolio's rows for the dates a staged result covers, then insert
-- the staged rows. {table} and {date_col} come from the loader's fixed list of fact tables.
DELETE FROM {table} WHERE portfolio_id = $portfolio_id AND {date_col} BETWEEN $start AND $end;
