-- A documented schema: the reserved word `window` of `performance` becomes `horizon`, and every
-- table and column gets a description (shown by `duckdb_tables()` / `duckdb_columns()` and on
-- the generated page docs/schema.md). Views carry their own comments in sql/views/*.sql, since
-- they are recreated on every migration run. Later migrations comment what they add.

ALTER TABLE performance RENAME COLUMN "window" TO horizon;

-- ------------------------------------------------------------------ schema_migrations
COMMENT ON TABLE schema_migrations IS 'Numbered migrations (sql/migrations/NNN_*.sql) applied to this warehouse, one row each.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number (the NNN of its file name); the schema version.';
COMMENT ON COLUMN schema_migrations.name IS 'File name of the migration.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When the migration was applied (UTC).';

-- ------------------------------------------------------------------ assets
COMMENT ON TABLE assets IS 'The investable universe from config/universe.yaml: one row per symbol a portfolio may hold (upserted by every load).';
COMMENT ON COLUMN assets.symbol IS 'Symbol, as used in prices, weights, trades and positions.';
COMMENT ON COLUMN assets.name IS 'Descriptive name (e.g. "S&P 500 index (price)").';
COMMENT ON COLUMN assets.asset_class IS 'Asset class used for constraints, costs and attribution: equity, government_bonds, commodity, cash.';
COMMENT ON COLUMN assets.sector IS 'Sector (stocks), or index / treasury / energy / cash for the other series.';
COMMENT ON COLUMN assets.run_id IS 'Lineage: the run that last upserted the row.';

-- ------------------------------------------------------------------ portfolios
COMMENT ON TABLE portfolios IS 'The managed model portfolios from config/portfolios.yaml, as validated on load (upserted by every load).';
COMMENT ON COLUMN portfolios.portfolio_id IS 'Portfolio id (the key every fact table uses).';
COMMENT ON COLUMN portfolios.name IS 'Display name.';
COMMENT ON COLUMN portfolios.risk_profile IS 'Risk profile label: conservative, moderate or aggressive.';
COMMENT ON COLUMN portfolios.strategy IS 'Allocation strategy name in the registry (pipelines/allocation/).';
COMMENT ON COLUMN portfolios.params IS 'Strategy parameters as validated (JSON, keys sorted).';
COMMENT ON COLUMN portfolios.universe IS 'Symbols the portfolio may hold.';
COMMENT ON COLUMN portfolios.benchmark IS 'Benchmark: a symbol (its price series; SPX is a price index without dividends) or another portfolio id; NULL when none.';
COMMENT ON COLUMN portfolios.base_currency IS 'Currency of NAV, prices and cash (USD).';
COMMENT ON COLUMN portfolios.initial_capital IS 'Capital at inception, in base currency.';
COMMENT ON COLUMN portfolios.inception IS 'First date the portfolio is simulated from.';
COMMENT ON COLUMN portfolios.rebalance IS 'Rebalancing rule (JSON): calendar frequency, drift bands, or both.';
COMMENT ON COLUMN portfolios.costs IS 'Cost model (JSON): commission bps and minimum, half-spread bps by asset class, market impact.';
COMMENT ON COLUMN portfolios.config_hash IS 'Hash of the portfolio''s validated configuration: changes when its definition changes.';
COMMENT ON COLUMN portfolios.run_id IS 'Lineage: the run that last upserted the row.';

-- ------------------------------------------------------------------ target_weights
COMMENT ON TABLE target_weights IS 'Target weights a strategy set on each rebalance day (cash included as the cash symbol); the weights the trades aim at, not the holdings (see v_current_holdings).';
COMMENT ON COLUMN target_weights.date IS 'Rebalance date (signal at the close of this date).';
COMMENT ON COLUMN target_weights.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN target_weights.symbol IS 'Symbol (the cash symbol CASH for the cash weight).';
COMMENT ON COLUMN target_weights.weight IS 'Target weight as a fraction of NAV; a date''s weights sum to 1.';
COMMENT ON COLUMN target_weights.run_id IS 'Lineage: the run that wrote the row (Airflow run id or CLI run).';
COMMENT ON COLUMN target_weights.data_snapshot IS 'Lineage: hash of the raw lake batches the computation read.';
COMMENT ON COLUMN target_weights.model_version IS 'Lineage: model version the strategy used; NULL for rule-based strategies.';

-- ------------------------------------------------------------------ trades
COMMENT ON TABLE trades IS 'Every ticket: what moved holdings to the targets, filled at the close of the trade date; one row per date, portfolio and symbol.';
COMMENT ON COLUMN trades.trade_date IS 'Trade date (fills at that close).';
COMMENT ON COLUMN trades.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN trades.symbol IS 'Symbol traded.';
COMMENT ON COLUMN trades.side IS 'BUY or SELL (sells fill before buys).';
COMMENT ON COLUMN trades.quantity IS 'Units traded, always positive (the side gives the sign).';
COMMENT ON COLUMN trades.price IS 'Fill price: the close of the trade date.';
COMMENT ON COLUMN trades.notional IS 'quantity x price, in base currency, positive.';
COMMENT ON COLUMN trades.cost IS 'Transaction cost of the ticket (commission, half spread, impact), paid from cash.';
COMMENT ON COLUMN trades.reason IS 'Why it traded: inception (initial funding), calendar (scheduled rebalance) or drift (band breached).';
COMMENT ON COLUMN trades.run_id IS 'Lineage: the run that wrote the row.';
COMMENT ON COLUMN trades.data_snapshot IS 'Lineage: hash of the raw lake batches the computation read.';
COMMENT ON COLUMN trades.model_version IS 'Lineage: model version the strategy used; NULL for rule-based strategies.';

-- ------------------------------------------------------------------ positions
COMMENT ON TABLE positions IS 'Holdings at each close, every trading day; uninvested cash is not a row here (it is nav.cash: see v_current_holdings).';
COMMENT ON COLUMN positions.date IS 'Date of the close.';
COMMENT ON COLUMN positions.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN positions.symbol IS 'Symbol held.';
COMMENT ON COLUMN positions.quantity IS 'Units held after the day''s trades.';
COMMENT ON COLUMN positions.price IS 'Close used to mark the position.';
COMMENT ON COLUMN positions.market_value IS 'quantity x price, in base currency.';
COMMENT ON COLUMN positions.weight IS 'market_value / NAV at the close; the positions of a date sum to 1 - nav.cash / nav.nav.';
COMMENT ON COLUMN positions.run_id IS 'Lineage: the run that wrote the row.';
COMMENT ON COLUMN positions.data_snapshot IS 'Lineage: hash of the raw lake batches the computation read.';
COMMENT ON COLUMN positions.model_version IS 'Lineage: model version the strategy used; NULL for rule-based strategies.';

-- ------------------------------------------------------------------ nav
COMMENT ON TABLE nav IS 'Net asset value of each portfolio at each close, every trading day since inception.';
COMMENT ON COLUMN nav.date IS 'Date of the close.';
COMMENT ON COLUMN nav.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN nav.nav IS 'NAV at the close, after the day''s trades and costs: invested + cash.';
COMMENT ON COLUMN nav.cash IS 'Uninvested cash (accrues the 3-month T-bill index unless accrue_cash is false); never negative unless the portfolio allows leverage.';
COMMENT ON COLUMN nav.invested IS 'Market value of the positions: nav - cash.';
COMMENT ON COLUMN nav.costs IS 'Transaction costs paid that day.';
COMMENT ON COLUMN nav.turnover IS 'Traded notional that day as a fraction of the pre-trade NAV (0 on days without trades).';
COMMENT ON COLUMN nav.daily_return IS 'NAV return over the previous close (0 on the first day).';
COMMENT ON COLUMN nav.rebalanced IS 'True when at least one ticket traded that day.';
COMMENT ON COLUMN nav.run_id IS 'Lineage: the run that wrote the row.';
COMMENT ON COLUMN nav.data_snapshot IS 'Lineage: hash of the raw lake batches the computation read.';
COMMENT ON COLUMN nav.model_version IS 'Lineage: model version the strategy used; NULL for rule-based strategies.';

-- ------------------------------------------------------------------ pipeline_runs
COMMENT ON TABLE pipeline_runs IS 'One row per run and step: what ran, for which date, its outcome and how many rows it wrote.';
COMMENT ON COLUMN pipeline_runs.run_id IS 'Airflow run id, or the CLI run id (cli__<command>__...).';
COMMENT ON COLUMN pipeline_runs.step IS 'Step: market_data.ingest, portfolio_rebalance.load, backfill, daily, or a failed task''s dag.task id.';
COMMENT ON COLUMN pipeline_runs.as_of IS 'Business date the step processed.';
COMMENT ON COLUMN pipeline_runs.status IS 'running, success, failed or skipped (no new prices that day).';
COMMENT ON COLUMN pipeline_runs.started_at IS 'Start of the step (UTC).';
COMMENT ON COLUMN pipeline_runs.finished_at IS 'End of the step (UTC); NULL while running.';
COMMENT ON COLUMN pipeline_runs.rows_written IS 'Rows the step wrote to the warehouse.';
COMMENT ON COLUMN pipeline_runs.data_snapshot IS 'Hash(es) of the raw lake batches the step read, comma-separated.';
COMMENT ON COLUMN pipeline_runs.message IS 'Summary (rows per table) or the failure reason.';

-- ------------------------------------------------------------------ validation_results
COMMENT ON TABLE validation_results IS 'Every Great Expectations check the quality gate evaluated, one row per expectation and run, failed runs included (their batch is quarantined).';
COMMENT ON COLUMN validation_results.run_id IS 'Ingest run of one as-of date.';
COMMENT ON COLUMN validation_results.seq IS 'Order of evaluation within the run.';
COMMENT ON COLUMN validation_results.as_of IS 'Business date of the ingested batch.';
COMMENT ON COLUMN validation_results.source IS 'Data source: bundled, live or files.';
COMMENT ON COLUMN validation_results.dataset IS 'prices or macro.';
COMMENT ON COLUMN validation_results.suite IS 'Expectation suite, e.g. raw_prices, curated_prices, files.';
COMMENT ON COLUMN validation_results.expectation IS 'Great Expectations expectation type.';
COMMENT ON COLUMN validation_results.check_name IS 'What the expectation means, in words.';
COMMENT ON COLUMN validation_results.column_name IS 'Column checked; NULL for table-level expectations.';
COMMENT ON COLUMN validation_results.success IS 'True when the expectation held.';
COMMENT ON COLUMN validation_results.severity IS 'error (a failure quarantines the batch) or warning.';
COMMENT ON COLUMN validation_results.observed_value IS 'Observed value (JSON).';
COMMENT ON COLUMN validation_results.element_count IS 'Rows evaluated.';
COMMENT ON COLUMN validation_results.unexpected_count IS 'Rows that broke the expectation.';
COMMENT ON COLUMN validation_results.unexpected_sample IS 'Up to 5 offending rows, keys and value (JSON).';
COMMENT ON COLUMN validation_results.batch_path IS 'Raw batch validated, or its quarantine folder when rejected.';
COMMENT ON COLUMN validation_results.validated_at IS 'When the check ran (UTC).';

-- ------------------------------------------------------------------ performance
COMMENT ON TABLE performance IS 'Performance metrics of each portfolio over each horizon (since inception, YTD, 1y, 3y, 5y), recomputed whole by the analytics step. Returns are daily NAV returns; 252 days a year.';
COMMENT ON COLUMN performance.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN performance.horizon IS 'Measurement horizon: inception, ytd, 1y, 3y or 5y (was "window", a reserved word, before migration 007).';
COMMENT ON COLUMN performance.as_of IS 'Last NAV date the metrics include.';
COMMENT ON COLUMN performance.start_date IS 'First daily return of the horizon.';
COMMENT ON COLUMN performance.end_date IS 'Last daily return of the horizon (= as_of).';
COMMENT ON COLUMN performance.observations IS 'Daily returns in the horizon.';
COMMENT ON COLUMN performance.total_return IS 'Compounded return over the horizon (plain, not annualised).';
COMMENT ON COLUMN performance.cagr IS 'Annualised return (1 + total)^(252 / n) - 1; for ytd an annualisation of a part-year, read total_return instead.';
COMMENT ON COLUMN performance.volatility IS 'Annualised standard deviation of daily returns (ddof 1).';
COMMENT ON COLUMN performance.sharpe IS 'Annualised Sharpe ratio of daily returns in excess of the cash index.';
COMMENT ON COLUMN performance.sortino IS 'Annualised Sortino ratio (downside deviation of excess returns).';
COMMENT ON COLUMN performance.max_drawdown IS 'Largest peak-to-trough fall of NAV in the horizon (negative fraction).';
COMMENT ON COLUMN performance.drawdown_peak IS 'Date of the peak before the largest drawdown (NULL when it is the close before the horizon).';
COMMENT ON COLUMN performance.drawdown_trough IS 'Date of the trough of the largest drawdown.';
COMMENT ON COLUMN performance.drawdown_recovery IS 'First date NAV regained the peak; NULL when not recovered.';
COMMENT ON COLUMN performance.calmar IS 'cagr / |max_drawdown|; not meaningful for ytd (part-year annualised).';
COMMENT ON COLUMN performance.turnover IS 'Traded notional / NAV, annualised (1.0 = the whole portfolio traded once a year).';
COMMENT ON COLUMN performance.costs_paid IS 'Transaction costs paid in the horizon, in base currency.';
COMMENT ON COLUMN performance.hit_rate IS 'Share of days with a positive return.';
COMMENT ON COLUMN performance.benchmark IS 'Benchmark compared against (symbol or portfolio id).';
COMMENT ON COLUMN performance.benchmark_return IS 'Benchmark''s compounded return over the same days (SPX: price index, dividends excluded).';
COMMENT ON COLUMN performance.tracking_error IS 'Annualised standard deviation of daily active returns versus the benchmark.';
COMMENT ON COLUMN performance.information_ratio IS 'Annualised mean active return / tracking error.';
COMMENT ON COLUMN performance.run_id IS 'Lineage: the run that wrote the row.';

-- ------------------------------------------------------------------ attribution
COMMENT ON TABLE attribution IS 'Brinson-Fachler attribution of each portfolio versus its benchmark, by asset class (and contributions by asset), per month and Carino-linked since inception.';
COMMENT ON COLUMN attribution.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN attribution.benchmark IS 'Benchmark (symbol or portfolio id).';
COMMENT ON COLUMN attribution.period IS 'month or cumulative (since inception, Carino-linked).';
COMMENT ON COLUMN attribution.period_start IS 'First day of the period.';
COMMENT ON COLUMN attribution.period_end IS 'Last day of the period.';
COMMENT ON COLUMN attribution.level IS 'asset_class (allocation, selection, interaction) or asset (contributions only).';
COMMENT ON COLUMN attribution.segment IS 'Asset class, symbol, cash or costs.';
COMMENT ON COLUMN attribution.portfolio_weight IS 'Average start-of-day weight of the segment in the portfolio.';
COMMENT ON COLUMN attribution.benchmark_weight IS 'Average start-of-day weight of the segment in the benchmark.';
COMMENT ON COLUMN attribution.portfolio_return IS 'Whole portfolio''s return over the period.';
COMMENT ON COLUMN attribution.benchmark_return IS 'Whole benchmark''s return over the period.';
COMMENT ON COLUMN attribution.allocation IS 'Allocation effect (weight difference x benchmark segment return over the benchmark).';
COMMENT ON COLUMN attribution.selection IS 'Selection effect (benchmark weight x return difference within the segment).';
COMMENT ON COLUMN attribution.interaction IS 'Interaction effect (weight difference x return difference).';
COMMENT ON COLUMN attribution.total_effect IS 'allocation + selection + interaction.';
COMMENT ON COLUMN attribution.contribution IS 'Contribution of the segment to the portfolio''s return (Carino-linked).';
COMMENT ON COLUMN attribution.run_id IS 'Lineage: the run that wrote the row.';

-- ------------------------------------------------------------------ model_versions
COMMENT ON TABLE model_versions IS 'Trained models in the registry ($DAA_HOME/models/): one row per version with its training window, hyper-parameters and metrics.';
COMMENT ON COLUMN model_versions.model_version IS 'Version id (name@trained_through plus a hash).';
COMMENT ON COLUMN model_versions.model_name IS 'Model: regime_mixture or risk_off_classifier.';
COMMENT ON COLUMN model_versions.kind IS 'mixture or classifier.';
COMMENT ON COLUMN model_versions.trained_through IS 'Data known at this close trained it; it serves dates after it only.';
COMMENT ON COLUMN model_versions.train_start IS 'First sample date of the training set.';
COMMENT ON COLUMN model_versions.train_end IS 'Last sample date of the training set.';
COMMENT ON COLUMN model_versions.features IS 'Feature names, in model input order.';
COMMENT ON COLUMN model_versions.hyperparameters IS 'Hyper-parameters chosen (JSON).';
COMMENT ON COLUMN model_versions.cv_metrics IS 'Purged, embargoed walk-forward cross-validation metrics (JSON).';
COMMENT ON COLUMN model_versions.oos_metrics IS 'Out-of-sample metrics against naive baselines (JSON).';
COMMENT ON COLUMN model_versions.data_snapshot IS 'Lineage: lake snapshot the model was trained on.';
COMMENT ON COLUMN model_versions.code_version IS 'Code version (git commit) that trained it.';
COMMENT ON COLUMN model_versions.training_seconds IS 'Wall time of the training.';
COMMENT ON COLUMN model_versions.artifact_path IS 'Where the fitted model is stored.';
COMMENT ON COLUMN model_versions.metadata IS 'The registry''s full metadata record (JSON).';
COMMENT ON COLUMN model_versions.run_id IS 'Lineage: the run that wrote the row.';

-- ------------------------------------------------------------------ regimes
COMMENT ON TABLE regimes IS 'Daily regime predictions: each date predicted by the latest refit trained before it (no look-ahead).';
COMMENT ON COLUMN regimes.date IS 'Date predicted (features known at its close).';
COMMENT ON COLUMN regimes.model_name IS 'Model that made the prediction (risk_off_classifier).';
COMMENT ON COLUMN regimes.model_version IS 'Classifier version (trained before date) that made the row.';
COMMENT ON COLUMN regimes.regime IS 'Most probable mixture regime: calm, normal or stress.';
COMMENT ON COLUMN regimes.p_risk_off IS 'Classifier: probability that next month''s equity excess return is below the threshold.';
COMMENT ON COLUMN regimes.probabilities IS 'Mixture regime probabilities by name (JSON); a refit with fewer components lacks the missing regime''s key (probability 0).';
COMMENT ON COLUMN regimes.mixture_version IS 'Mixture model version that gave regime and probabilities.';
COMMENT ON COLUMN regimes.run_id IS 'Lineage: the run that wrote the row.';

-- ------------------------------------------------------------------ factor_exposures
COMMENT ON TABLE factor_exposures IS 'Factor model betas: of each asset at its refit date, and of each portfolio at each month end with its factor risk decomposition.';
COMMENT ON COLUMN factor_exposures.date IS 'Date of the exposure (a refit date for assets, a month-end NAV date for portfolios).';
COMMENT ON COLUMN factor_exposures.entity_type IS 'asset or portfolio.';
COMMENT ON COLUMN factor_exposures.entity IS 'Symbol or portfolio id.';
COMMENT ON COLUMN factor_exposures.factor IS 'Factor (MKT, SMB, HML, TERM, CREDIT, INFL, OIL, MOM, LOWVOL, REV), or residual for specific risk.';
COMMENT ON COLUMN factor_exposures.exposure IS 'Beta to the factor (60-month regression of monthly returns); NULL on the residual row.';
COMMENT ON COLUMN factor_exposures.risk_contribution IS 'Share of the portfolio''s variance from the factor (Euler split; the rows of a date sum to 1); portfolios only.';
COMMENT ON COLUMN factor_exposures.alpha IS 'Monthly regression intercept (on the residual row for portfolios).';
COMMENT ON COLUMN factor_exposures.residual_variance IS 'Monthly residual (specific) variance.';
COMMENT ON COLUMN factor_exposures.r_squared IS 'Share of variance the factors explain.';
COMMENT ON COLUMN factor_exposures.model_version IS 'Factor model version: factor_model@<last month>-w<window months>.';
COMMENT ON COLUMN factor_exposures.run_id IS 'Lineage: the run that wrote the row.';
COMMENT ON COLUMN factor_exposures.coverage IS 'Portfolios: share of the gross risky weight the factor model covers (uncovered holdings carry zero exposure).';

-- ------------------------------------------------------------------ factor_attribution
COMMENT ON TABLE factor_attribution IS 'Monthly factor return attribution of each portfolio: risk-free, each factor (exposure at the start of the month x factor return) and specific; a month''s rows sum to the portfolio''s return.';
COMMENT ON COLUMN factor_attribution.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN factor_attribution.period_start IS 'Month-end NAV date the month starts from.';
COMMENT ON COLUMN factor_attribution.period_end IS 'Month-end NAV date that closes the month.';
COMMENT ON COLUMN factor_attribution.factor IS 'Factor name, risk_free, or specific (alpha, residuals, intra-month trading, costs, uncovered holdings).';
COMMENT ON COLUMN factor_attribution.exposure IS 'Exposure at the start of the month (1 for risk_free, NULL for specific).';
COMMENT ON COLUMN factor_attribution.factor_return IS 'Factor return over the month.';
COMMENT ON COLUMN factor_attribution.contribution IS 'exposure x factor_return: the part of the month''s portfolio return due to the factor.';
COMMENT ON COLUMN factor_attribution.model_version IS 'Factor model version whose exposures were used.';
COMMENT ON COLUMN factor_attribution.run_id IS 'Lineage: the run that wrote the row.';
COMMENT ON COLUMN factor_attribution.coverage IS 'Share of the gross risky weight the factor model covers at the start of the month.';
