-- Portfolio factor rows: the share of the portfolio's gross risky weight the factor model
-- covers (assets outside the fit carry zero exposure; their return lands in 'specific').
ALTER TABLE factor_exposures ADD COLUMN IF NOT EXISTS coverage DOUBLE;
ALTER TABLE factor_attribution ADD COLUMN IF NOT EXISTS coverage DOUBLE;
