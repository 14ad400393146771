-- Performance per portfolio and window, and Brinson-Fachler attribution versus the benchmark.
CREATE TABLE IF NOT EXISTS performance (
    portfolio_id        VARCHAR NOT NULL,
    "window"            VARCHAR NOT NULL CHECK ("window" IN ('inception', '1y', '3y', '5y', 'ytd')),
    as_of               DATE NOT NULL,
    start_date          DATE NOT NULL,
    end_date            DATE NOT NULL,
    observations        INTEGER NOT NULL,
    total_return        DOUBLE,
    cagr                DOUBLE,
    volatility          DOUBLE,
    sharpe              DOUBLE,
    sortino             DOUBLE,
    max_drawdown        DOUBLE,
    drawdown_peak       DATE,
    drawdown_trough     DATE,
    drawdown_recovery   DATE,
    calmar              DOUBLE,
    turnover            DOUBLE,     -- traded notional / NAV, annualised
    costs_paid          DOUBLE,
    hit_rate            DOUBLE,     -- share of days with a positive return
    benchmark           VARCHAR,
    benchmark_return    DOUBLE,
    tracking_error      DOUBLE,
    information_ratio   DOUBLE,
    run_id              VARCHAR NOT NULL,
    PRIMARY KEY (portfolio_id, "window")
);

CREATE TABLE IF NOT EXISTS attribution (
    portfolio_id      VARCHAR NOT NULL,
    benchmark         VARCHAR NOT NULL,
    period            VARCHAR NOT NULL CHECK (period IN ('month', 'cumulative')),
    period_start      DATE NOT NULL,
    period_end        DATE NOT NULL,
    level             VARCHAR NOT NULL CHECK (level IN ('asset_class', 'asset')),
    segment           VARCHAR NOT NULL,   -- asset class, symbol, 'cash' or 'costs'
    portfolio_weight  DOUBLE,             -- average start-of-day weight
    benchmark_weight  DOUBLE,
    portfolio_return  DOUBLE,             -- whole portfolio over the period
    benchmark_return  DOUBLE,
    allocation        DOUBLE,
    selection         DOUBLE,
    interaction       DOUBLE,
    total_effect      DOUBLE,
    contribution      DOUBLE,             -- to the portfolio's return (Carino-linked)
    run_id            VARCHAR NOT NULL,
    PRIMARY KEY (portfolio_id, period, period_start, level, segment)
);
