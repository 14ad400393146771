-- Core tables of the warehouse. Every fact row carries its lineage: the run that wrote it,
-- the data snapshot it was computed from and the model version (NULL for rule-based strategies).

CREATE TABLE IF NOT EXISTS assets (
    symbol       VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    asset_class  VARCHAR NOT NULL,
    sector       VARCHAR,
    run_id       VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS portfolios (
    portfolio_id    VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    risk_profile    VARCHAR NOT NULL,
    strategy        VARCHAR NOT NULL,
    params          JSON,
    universe        VARCHAR[],
    benchmark       VARCHAR,
    base_currency   VARCHAR NOT NULL,
    initial_capital DOUBLE NOT NULL,
    inception       DATE NOT NULL,
    rebalance       JSON,
    costs           JSON,
    config_hash     VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS target_weights (
    date           DATE NOT NULL,
    portfolio_id   VARCHAR NOT NULL,
    symbol         VARCHAR NOT NULL,
    weight         DOUBLE NOT NULL,
    run_id         VARCHAR NOT NULL,
    data_snapshot  VARCHAR NOT NULL,
    model_version  VARCHAR,
    PRIMARY KEY (date, portfolio_id, symbol)
);

CREATE TABLE IF NOT EXISTS trades (
    trade_date     DATE NOT NULL,
    portfolio_id   VARCHAR NOT NULL,
    symbol         VARCHAR NOT NULL,
    side           VARCHAR NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity       DOUBLE NOT NULL CHECK (quantity > 0),
    price          DOUBLE NOT NULL CHECK (price > 0),
    notional       DOUBLE NOT NULL,
    cost           DOUBLE NOT NULL CHECK (cost >= 0),
    reason         VARCHAR NOT NULL,
    run_id         VARCHAR NOT NULL,
    data_snapshot  VARCHAR NOT NULL,
    model_version  VARCHAR,
    PRIMARY KEY (trade_date, portfolio_id, symbol)
);

CREATE TABLE IF NOT EXISTS positions (
    date           DATE NOT NULL,
    portfolio_id   VARCHAR NOT NULL,
    symbol         VARCHAR NOT NULL,
    quantity       DOUBLE NOT NULL,
    price          DOUBLE NOT NULL,
    market_value   DOUBLE NOT NULL,
    weight         DOUBLE NOT NULL,
    run_id         VARCHAR NOT NULL,
    data_snapshot  VARCHAR NOT NULL,
    model_version  VARCHAR,
    PRIMARY KEY (date, portfolio_id, symbol)
);

CREATE TABLE IF NOT EXISTS nav (
    date           DATE NOT NULL,
    portfolio_id   VARCHAR NOT NULL,
    nav            DOUBLE NOT NULL,
    cash           DOUBLE NOT NULL,
    invested       DOUBLE NOT NULL,
    costs          DOUBLE NOT NULL,
    turnover       DOUBLE NOT NULL,
    daily_return   DOUBLE NOT NULL,
    rebalanced     BOOLEAN NOT NULL,
    run_id         VARCHAR NOT NULL,
    data_snapshot  VARCHAR NOT NULL,
    model_version  VARCHAR,
    PRIMARY KEY (date, portfolio_id)
);

CREATE TABLE IF NOT EXISTS pipeline_runs (
    run_id        VARCHAR NOT NULL,
    step          VARCHAR NOT NULL,
    as_of         DATE,
    status        VARCHAR NOT NULL CHECK (status IN ('running', 'success', 'failed', 'skipped')),
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    rows_written  BIGINT,
    data_snapshot VARCHAR,
    message       VARCHAR,
    PRIMARY KEY (run_id, step)
);
