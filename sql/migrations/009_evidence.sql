-- Evidence before trust: per managed portfolio and comparison (its benchmark, the reference
-- 60/40), whether its edge could be luck (pipelines/analytics/evidence_rows.py). Recomputed whole
-- by the analytics step, like performance.
CREATE TABLE IF NOT EXISTS evidence (
    portfolio_id            VARCHAR NOT NULL,
    comparison              VARCHAR NOT NULL CHECK (comparison IN ('benchmark', 'reference')),
    compared_with           VARCHAR NOT NULL,
    as_of                   DATE NOT NULL,
    start_date              DATE NOT NULL,
    end_date                DATE NOT NULL,
    observations            INTEGER NOT NULL,
    dynamic                 BOOLEAN NOT NULL,
    learned                 BOOLEAN NOT NULL,
    sharpe                  DOUBLE,
    compared_sharpe         DOUBLE,
    skewness                DOUBLE,
    kurtosis                DOUBLE,
    psr                     DOUBLE,
    psr_vs_compared         DOUBLE,
    min_track_record_years  DOUBLE,
    n_trials                INTEGER NOT NULL,
    n_portfolio_trials      INTEGER NOT NULL,
    n_model_trials          INTEGER NOT NULL,
    trials_sharpe_variance  DOUBLE,
    expected_max_sharpe     DOUBLE,
    dsr                     DOUBLE,
    sharpe_difference       DOUBLE,
    sharpe_difference_low   DOUBLE,
    sharpe_difference_high  DOUBLE,
    confidence              DOUBLE NOT NULL,
    block_length            DOUBLE,
    bootstrap_reps          INTEGER,
    seed                    INTEGER NOT NULL,
    family_size             INTEGER,
    reality_check_pvalue    DOUBLE,
    spa_pvalue              DOUBLE,
    cpcv_paths              INTEGER,
    cpcv_sharpe_mean        DOUBLE,
    cpcv_sharpe_min         DOUBLE,
    cpcv_sharpe_max         DOUBLE,
    cpcv_share_above        DOUBLE,
    pbo                     DOUBLE,
    pbo_trials              INTEGER,
    outperformance          BOOLEAN NOT NULL,
    failed_tests            VARCHAR[] NOT NULL,
    verdict                 VARCHAR NOT NULL,
    run_id                  VARCHAR NOT NULL,
    PRIMARY KEY (portfolio_id, comparison)
);

COMMENT ON TABLE evidence IS 'Evidence of outperformance per managed portfolio and comparison (its benchmark; the reference portfolio, the 60/40): probabilistic and deflated Sharpe ratios with the trials counted, a stationary-bootstrap interval of the Sharpe difference, the family''s reality check and SPA, and for learned strategies CPCV paths and PBO; recomputed whole by the analytics step. Sharpe ratios are annualised (252 days), of daily returns in excess of the cash index.';
COMMENT ON COLUMN evidence.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN evidence.comparison IS 'benchmark: the portfolio''s own benchmark; reference: the reference portfolio of config/evidence.yaml (static_60_40). A portfolio whose benchmark is the reference has two equal rows.';
COMMENT ON COLUMN evidence.compared_with IS 'The symbol (its price series) or portfolio id compared with.';
COMMENT ON COLUMN evidence.as_of IS 'Business date of the analytics run that computed the row.';
COMMENT ON COLUMN evidence.start_date IS 'First daily return both series have.';
COMMENT ON COLUMN evidence.end_date IS 'Last daily return both series have.';
COMMENT ON COLUMN evidence.observations IS 'Daily returns in common (the track record length of the statistics).';
COMMENT ON COLUMN evidence.dynamic IS 'True when the strategy''s weights depend on more than the day''s prices (not a static mix or equal weight); the dynamic portfolios form the family of the reality check and SPA.';
COMMENT ON COLUMN evidence.learned IS 'True when the weights come from a fitted model with trials (regime switching, factor tilt, neural policy): CPCV and PBO apply.';
COMMENT ON COLUMN evidence.sharpe IS 'Annualised Sharpe ratio of the portfolio over the common dates.';
COMMENT ON COLUMN evidence.compared_sharpe IS 'Annualised Sharpe ratio of what it is compared with, same dates.';
COMMENT ON COLUMN evidence.skewness IS 'Sample skewness of the portfolio''s daily excess returns (enters the PSR).';
COMMENT ON COLUMN evidence.kurtosis IS 'Sample kurtosis (not excess: 3 for a normal) of the daily excess returns (enters the PSR).';
COMMENT ON COLUMN evidence.psr IS 'Probabilistic Sharpe ratio (Bailey and Lopez de Prado 2012): probability that the true Sharpe ratio exceeds 0, given length, skewness and kurtosis.';
COMMENT ON COLUMN evidence.psr_vs_compared IS 'Probabilistic Sharpe ratio against the compared series'' observed Sharpe ratio as the threshold.';
COMMENT ON COLUMN evidence.min_track_record_years IS 'Minimum track record length (years of 252 days) for the PSR against the compared Sharpe ratio to reach `confidence`; NULL (infinite) when the portfolio''s Sharpe ratio is not above it.';
COMMENT ON COLUMN evidence.n_trials IS 'Trials counted for the deflated Sharpe ratio: n_portfolio_trials + n_model_trials.';
COMMENT ON COLUMN evidence.n_portfolio_trials IS 'Managed portfolios in the configured set (each one a strategy tried).';
COMMENT ON COLUMN evidence.n_model_trials IS 'Distinct hyper-parameter configurations the model registry recorded as tried (every model name, every refit; a configuration tried at several refits counts once).';
COMMENT ON COLUMN evidence.trials_sharpe_variance IS 'Variance across the set''s portfolios of their annualised Sharpe ratios: the trials'' Sharpe variance the DSR assumes.';
COMMENT ON COLUMN evidence.expected_max_sharpe IS 'Annualised Sharpe ratio the best of n_trials zero-skill trials would show by luck (the DSR''s threshold SR_0).';
COMMENT ON COLUMN evidence.dsr IS 'Deflated Sharpe ratio (Bailey and Lopez de Prado 2014): PSR against expected_max_sharpe; the verdict''s headline confidence.';
COMMENT ON COLUMN evidence.sharpe_difference IS 'Annualised Sharpe ratio of the portfolio minus that of the compared series, same dates.';
COMMENT ON COLUMN evidence.sharpe_difference_low IS 'Lower end of the stationary-bootstrap percentile interval of sharpe_difference at `confidence`.';
COMMENT ON COLUMN evidence.sharpe_difference_high IS 'Upper end of that interval.';
COMMENT ON COLUMN evidence.confidence IS 'Confidence level of the interval, the MinTRL and the verdict (config/evidence.yaml level).';
COMMENT ON COLUMN evidence.block_length IS 'Mean block length (days) of the stationary bootstrap: the largest Politis-White estimate over the series sharing the dates.';
COMMENT ON COLUMN evidence.bootstrap_reps IS 'Bootstrap replications of the interval.';
COMMENT ON COLUMN evidence.seed IS 'Seed of every resampling (reruns give the same rows).';
COMMENT ON COLUMN evidence.family_size IS 'Reference rows of dynamic portfolios: the number of dynamic portfolios tested together against the reference; NULL otherwise.';
COMMENT ON COLUMN evidence.reality_check_pvalue IS 'White''s reality check p-value over the family against the reference (null: no dynamic strategy has a higher mean daily return); same value on every family row.';
COMMENT ON COLUMN evidence.spa_pvalue IS 'Hansen''s SPA p-value (consistent) over the same family; same value on every family row.';
COMMENT ON COLUMN evidence.cpcv_paths IS 'Learned strategies: combinatorial purged CV backtest paths (monthly samples, the learning procedure refitted on each split''s purged training groups).';
COMMENT ON COLUMN evidence.cpcv_sharpe_mean IS 'Mean annualised Sharpe ratio of the CPCV paths (monthly returns in excess of cash, before costs).';
COMMENT ON COLUMN evidence.cpcv_sharpe_min IS 'Lowest path Sharpe ratio.';
COMMENT ON COLUMN evidence.cpcv_sharpe_max IS 'Highest path Sharpe ratio.';
COMMENT ON COLUMN evidence.cpcv_share_above IS 'Share of CPCV paths whose Sharpe ratio exceeds that of the compared series over the same months.';
COMMENT ON COLUMN evidence.pbo IS 'Probability of backtest overfitting (Bailey, Borwein, Lopez de Prado and Zhu 2015) by CSCV over the trials'' out-of-sample monthly returns: the share of splits whose in-sample best trial ranks at or below the median out of sample.';
COMMENT ON COLUMN evidence.pbo_trials IS 'Trial configurations in the PBO matrix.';
COMMENT ON COLUMN evidence.outperformance IS 'The plain verdict: true only when every test applied agrees (DSR >= confidence, the interval above 0, SPA p <= 1 - confidence on family rows, PBO < 0.5 for learned strategies).';
COMMENT ON COLUMN evidence.failed_tests IS 'The tests that said no (empty when outperformance).';
COMMENT ON COLUMN evidence.verdict IS 'The verdict as a sentence a PM reads.';
COMMENT ON COLUMN evidence.run_id IS 'Lineage: the run that computed the row.';
