-- Factor attribution is recomputed whole: drop the computed portfolios' rows ($ids) before the
-- staged rows go in (insert_staged.sql).
DELETE FROM factor_attribution WHERE portfolio_id IN (SELECT unnest($ids));
