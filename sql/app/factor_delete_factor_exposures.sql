-- Portfolio factor exposures are recomputed whole: drop every portfolio row of the computed
-- portfolios ($ids) before the staged rows go in (insert_staged.sql). Asset rows stay.
DELETE FROM factor_exposures WHERE entity_type = 'portfolio' AND entity IN (SELECT unnest($ids));
