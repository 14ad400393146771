-- Which evaluated targets a portfolio adopted: drift and signal rules evaluate targets on every
-- decision date but follow new ones only when they trade, and a daily run must resume from the
-- targets in force, not from the last evaluation.
ALTER TABLE target_weights ADD COLUMN IF NOT EXISTS adopted BOOLEAN DEFAULT TRUE;
COMMENT ON COLUMN target_weights.adopted IS 'true when the portfolio adopted these targets on that date (it traded toward them); drift and signal rules keep earlier targets in force otherwise';
