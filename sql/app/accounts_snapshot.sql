-- The data snapshot(s) the models' rows of $as_of were computed from: the accounts' lineage.
SELECT DISTINCT data_snapshot FROM nav WHERE date = $as_of AND list_contains($models, portfolio_id) ORDER BY 1;
