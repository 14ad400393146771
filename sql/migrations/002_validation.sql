-- Data quality results: one row per expectation evaluated by the quality gate (pipelines/quality).
-- A run is one ingest of one as-of date; failed runs are recorded too (their batch is quarantined).
CREATE TABLE IF NOT EXISTS validation_results (
    run_id            VARCHAR NOT NULL,
    seq               INTEGER NOT NULL,      -- order of evaluation within the run
    as_of             DATE NOT NULL,
    source            VARCHAR NOT NULL,
    dataset           VARCHAR NOT NULL,      -- prices | macro
    suite             VARCHAR NOT NULL,      -- e.g. raw_prices, curated_prices, files
    expectation       VARCHAR NOT NULL,      -- GX expectation type
    check_name        VARCHAR NOT NULL,      -- what the expectation means, in words
    column_name       VARCHAR,
    success           BOOLEAN NOT NULL,
    severity          VARCHAR NOT NULL CHECK (severity IN ('error', 'warning')),
    observed_value    VARCHAR,               -- JSON
    element_count     BIGINT,
    unexpected_count  BIGINT,
    unexpected_sample VARCHAR,               -- JSON: up to 5 rows (keys and value)
    batch_path        VARCHAR,               -- raw batch, or its quarantine folder when rejected
    validated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, seq)
);
