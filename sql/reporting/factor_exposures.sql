-- Monthly factor exposures and risk shares of the reported portfolios (portfolio rows of
-- factor_exposures; the residual row carries the specific share and R squared).
SELECT entity AS portfolio_id, date, factor, exposure, risk_contribution, r_squared, coverage
FROM factor_exposures
WHERE entity_type = 'portfolio' AND entity IN (SELECT unnest($ids))
ORDER BY entity, date, factor;
