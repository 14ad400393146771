-- The neural policy's honest out-of-sample evaluation (pipelines/analytics/neural_evaluation.py):
-- per neural_sharpe portfolio, its statistics and the baselines' on the same dates, from the
-- warehouse's own NAV (each portfolio's costs included), and the per-refit comparison with
-- equal weight. Recomputed whole by the analytics step, like performance.
CREATE TABLE IF NOT EXISTS neural_evaluation (
    portfolio_id                      VARCHAR NOT NULL,   -- the neural_sharpe portfolio
    role                              VARCHAR NOT NULL CHECK (role IN ('neural_sharpe', 'equal_weight',
                                          'sixty_forty', 'risk_parity', 'max_sharpe', 'regime_switching')),
    compared_id                       VARCHAR NOT NULL,   -- the portfolio whose NAV this row measures
    same_universe                     BOOLEAN NOT NULL,   -- compared_id holds the policy's symbols
    as_of                             DATE NOT NULL,
    start_date                        DATE NOT NULL,      -- first return earned by a refit's weights
    end_date                          DATE NOT NULL,
    observations                      INTEGER NOT NULL,
    cagr                              DOUBLE,
    volatility                        DOUBLE,
    sharpe                            DOUBLE,
    sortino                           DOUBLE,
    max_drawdown                      DOUBLE,
    turnover                          DOUBLE,             -- one-way traded fraction of NAV a year
    refits                            INTEGER,            -- policy row only: refits compared
    refits_beating_equal_weight       INTEGER,
    share_refits_beating_equal_weight DOUBLE,
    run_id                            VARCHAR NOT NULL,
    PRIMARY KEY (portfolio_id, role)
);

CREATE TABLE IF NOT EXISTS neural_refit_evaluation (
    portfolio_id        VARCHAR NOT NULL,
    model_version       VARCHAR NOT NULL,                 -- the refit whose weights earned these returns
    as_of               DATE NOT NULL,
    start_date          DATE NOT NULL,
    end_date            DATE NOT NULL,
    observations        INTEGER NOT NULL,
    sharpe              DOUBLE,
    equal_weight_sharpe DOUBLE,
    beat_equal_weight   BOOLEAN,
    run_id              VARCHAR NOT NULL,
    PRIMARY KEY (portfolio_id, model_version)
);

COMMENT ON TABLE neural_evaluation IS 'Out-of-sample evaluation of each neural_sharpe portfolio against the baselines (equal weight, 60/40, risk parity, max Sharpe, regime switching) on the same dates, from the warehouse NAV with every portfolio''s own costs; recomputed whole by the analytics step. Sharpe and Sortino are annualised (252 days), of daily returns in excess of the cash index.';
COMMENT ON COLUMN neural_evaluation.portfolio_id IS 'The neural_sharpe portfolio evaluated.';
COMMENT ON COLUMN neural_evaluation.role IS 'What the row measures: neural_sharpe (the policy itself) or the baseline role (equal_weight, sixty_forty, risk_parity, max_sharpe, regime_switching).';
COMMENT ON COLUMN neural_evaluation.compared_id IS 'The portfolio whose NAV the row measures (the policy itself for role neural_sharpe).';
COMMENT ON COLUMN neural_evaluation.same_universe IS 'True when compared_id holds the same symbols as the policy; false for a reference portfolio over other symbols (e.g. the 60/40 against the stocks policy).';
COMMENT ON COLUMN neural_evaluation.as_of IS 'Business date of the analytics run that computed the row.';
COMMENT ON COLUMN neural_evaluation.start_date IS 'First date of the out-of-sample period: the first return earned by weights a refit set.';
COMMENT ON COLUMN neural_evaluation.end_date IS 'Last date of the period (the run''s date).';
COMMENT ON COLUMN neural_evaluation.observations IS 'Daily returns in the period.';
COMMENT ON COLUMN neural_evaluation.cagr IS 'Compound annual growth rate over the period (252 days a year).';
COMMENT ON COLUMN neural_evaluation.volatility IS 'Annualised volatility of daily returns.';
COMMENT ON COLUMN neural_evaluation.sharpe IS 'Annualised Sharpe ratio of daily returns in excess of the cash index.';
COMMENT ON COLUMN neural_evaluation.sortino IS 'Annualised Sortino ratio (downside deviation of excess returns).';
COMMENT ON COLUMN neural_evaluation.max_drawdown IS 'Largest peak-to-trough fall of NAV in the period (negative).';
COMMENT ON COLUMN neural_evaluation.turnover IS 'One-way traded value as a fraction of NAV, per year.';
COMMENT ON COLUMN neural_evaluation.refits IS 'Policy row only: refits whose served dates were compared with equal weight.';
COMMENT ON COLUMN neural_evaluation.refits_beating_equal_weight IS 'Policy row only: refits whose Sharpe ratio over their served dates beat equal weight''s on the same dates.';
COMMENT ON COLUMN neural_evaluation.share_refits_beating_equal_weight IS 'Policy row only: refits_beating_equal_weight / refits.';
COMMENT ON COLUMN neural_evaluation.run_id IS 'Lineage: the run that computed the row.';

COMMENT ON TABLE neural_refit_evaluation IS 'Per refit of each neural_sharpe portfolio: the Sharpe ratio of the returns its weights earned and equal weight''s on the same dates; recomputed whole by the analytics step.';
COMMENT ON COLUMN neural_refit_evaluation.portfolio_id IS 'The neural_sharpe portfolio.';
COMMENT ON COLUMN neural_refit_evaluation.model_version IS 'The refit (model_versions.model_version) whose weights earned the returns.';
COMMENT ON COLUMN neural_refit_evaluation.as_of IS 'Business date of the analytics run that computed the row.';
COMMENT ON COLUMN neural_refit_evaluation.start_date IS 'First date whose return the refit''s weights earned.';
COMMENT ON COLUMN neural_refit_evaluation.end_date IS 'Last such date.';
COMMENT ON COLUMN neural_refit_evaluation.observations IS 'Daily returns compared.';
COMMENT ON COLUMN neural_refit_evaluation.sharpe IS 'Annualised Sharpe ratio of the policy''s excess returns on those dates.';
COMMENT ON COLUMN neural_refit_evaluation.equal_weight_sharpe IS 'The same for the equal-weight portfolio over the policy''s symbols (or the reference).';
COMMENT ON COLUMN neural_refit_evaluation.beat_equal_weight IS 'sharpe > equal_weight_sharpe.';
COMMENT ON COLUMN neural_refit_evaluation.run_id IS 'Lineage: the run that computed the row.';
