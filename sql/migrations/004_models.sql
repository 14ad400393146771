-- Models: versions in the registry, regime predictions, factor exposures and attribution.
CREATE TABLE IF NOT EXISTS model_versions (
    model_version    VARCHAR PRIMARY KEY,
    model_name       VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL,
    trained_through  DATE NOT NULL,        -- data known at this close; serves dates after it
    train_start      DATE,
    train_end        DATE,
    features         VARCHAR[],
    hyperparameters  JSON,
    cv_metrics       JSON,
    oos_metrics      JSON,
    data_snapshot    VARCHAR,
    code_version     VARCHAR,
    training_seconds DOUBLE,
    artifact_path    VARCHAR NOT NULL,
    metadata         JSON NOT NULL,
    run_id           VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS regimes (
    date            DATE NOT NULL,
    model_name      VARCHAR NOT NULL,
    model_version   VARCHAR NOT NULL,     -- the refit trained before `date` that made the row
    regime          VARCHAR,              -- calm / normal / stress (mixture)
    p_risk_off      DOUBLE,               -- classifier: P(next month's equity excess return < threshold)
    probabilities   JSON,                 -- mixture regime probabilities by name
    mixture_version VARCHAR,
    run_id          VARCHAR NOT NULL,
    PRIMARY KEY (date, model_name)
);

CREATE TABLE IF NOT EXISTS factor_exposures (
    date              DATE NOT NULL,
    entity_type       VARCHAR NOT NULL CHECK (entity_type IN ('asset', 'portfolio')),
    entity            VARCHAR NOT NULL,   -- symbol or portfolio id
    factor            VARCHAR NOT NULL,   -- factor name, or 'residual' for specific risk
    exposure          DOUBLE,             -- beta (monthly regression)
    risk_contribution DOUBLE,             -- share of variance (portfolios)
    alpha             DOUBLE,             -- monthly intercept of the entity
    residual_variance DOUBLE,
    r_squared         DOUBLE,
    model_version     VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,
    PRIMARY KEY (date, entity_type, entity, factor)
);

CREATE TABLE IF NOT EXISTS factor_attribution (
    portfolio_id   VARCHAR NOT NULL,
    period_start   DATE NOT NULL,
    period_end     DATE NOT NULL,
    factor         VARCHAR NOT NULL,      -- factor name, or 'specific'
    exposure       DOUBLE,                -- at the start of the period
    factor_return  DOUBLE,
    contribution   DOUBLE,
    model_version  VARCHAR NOT NULL,
    run_id         VARCHAR NOT NULL,
    PRIMARY KEY (portfolio_id, period_start, factor)
);
