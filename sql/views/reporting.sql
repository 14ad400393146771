-- Views for the questions users ask first. They are recreated on every migration run, so their
-- comments live here, after each view (CREATE OR REPLACE drops a view's comments).

-- The last target weights of every portfolio, cash included: what its latest rebalance aimed
-- at, dated that rebalance (a quarterly portfolio's row can be months old). Not the holdings
-- after the drift since then: those are v_current_holdings.
CREATE OR REPLACE VIEW v_latest_allocations AS
SELECT tw.portfolio_id, p.name AS portfolio, tw.date, tw.symbol, a.asset_class, tw.weight
FROM target_weights tw
JOIN (SELECT portfolio_id, max(date) AS date FROM target_weights GROUP BY portfolio_id) last
  USING (portfolio_id, date)
LEFT JOIN portfolios p USING (portfolio_id)
LEFT JOIN assets a USING (symbol)
ORDER BY tw.portfolio_id, tw.weight DESC;
COMMENT ON VIEW v_latest_allocations IS 'Last target weights of every portfolio (its latest rebalance, cash included), not current holdings: see v_current_holdings.';
COMMENT ON COLUMN v_latest_allocations.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN v_latest_allocations.portfolio IS 'Portfolio name.';
COMMENT ON COLUMN v_latest_allocations.date IS 'Date of the latest rebalance (the targets'' date, not the latest NAV date).';
COMMENT ON COLUMN v_latest_allocations.symbol IS 'Symbol (CASH for the cash weight).';
COMMENT ON COLUMN v_latest_allocations.asset_class IS 'Asset class of the symbol.';
COMMENT ON COLUMN v_latest_allocations.weight IS 'Target weight (fraction of NAV); a portfolio''s rows sum to 1.';

-- What every portfolio holds at its latest close: the non-zero positions of its last NAV date
-- plus one cash row from nav.cash (positions leave cash out), weights of NAV summing to 1.
CREATE OR REPLACE VIEW v_current_holdings AS
WITH last AS (
    SELECT portfolio_id, max(date) AS date FROM nav GROUP BY portfolio_id
), cash_symbol AS (
    SELECT coalesce(min(symbol), 'CASH') AS symbol FROM assets WHERE asset_class = 'cash'
), held AS (
    SELECT ps.portfolio_id, ps.date, ps.symbol, ps.quantity, ps.price, ps.market_value
    FROM positions ps JOIN last USING (portfolio_id, date)
    WHERE ps.quantity <> 0
    UNION ALL
    SELECT n.portfolio_id, n.date, c.symbol, NULL, NULL, n.cash
    FROM nav n JOIN last USING (portfolio_id, date) CROSS JOIN cash_symbol c
)
SELECT r.portfolio_id, p.name AS portfolio, r.date, r.symbol,
       coalesce(a.asset_class, 'cash') AS asset_class, r.quantity, r.price, r.market_value,
       r.market_value / n.nav AS weight
FROM held r
JOIN nav n USING (portfolio_id, date)
LEFT JOIN portfolios p USING (portfolio_id)
LEFT JOIN assets a ON a.symbol = r.symbol
ORDER BY r.portfolio_id, weight DESC, r.symbol;
COMMENT ON VIEW v_current_holdings IS 'Current holdings of every portfolio: its non-zero positions at its latest NAV date plus a cash row from nav.cash; weights of NAV sum to 1.';
COMMENT ON COLUMN v_current_holdings.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN v_current_holdings.portfolio IS 'Portfolio name.';
COMMENT ON COLUMN v_current_holdings.date IS 'The portfolio''s latest NAV date.';
COMMENT ON COLUMN v_current_holdings.symbol IS 'Symbol held; the cash symbol (CASH) for the uninvested cash row.';
COMMENT ON COLUMN v_current_holdings.asset_class IS 'Asset class of the symbol (cash for the cash row).';
COMMENT ON COLUMN v_current_holdings.quantity IS 'Units held; NULL on the cash row.';
COMMENT ON COLUMN v_current_holdings.price IS 'Close used to mark the position; NULL on the cash row.';
COMMENT ON COLUMN v_current_holdings.market_value IS 'Market value in base currency (nav.cash on the cash row).';
COMMENT ON COLUMN v_current_holdings.weight IS 'market_value / NAV; a portfolio''s rows sum to 1.';

-- Every trade with its portfolio and asset class, newest first.
CREATE OR REPLACE VIEW v_trade_blotter AS
SELECT t.trade_date, t.portfolio_id, p.name AS portfolio, t.symbol, a.asset_class, t.side,
       t.quantity, t.price, t.notional, t.cost, t.reason, t.run_id
FROM trades t
LEFT JOIN portfolios p USING (portfolio_id)
LEFT JOIN assets a USING (symbol)
ORDER BY t.trade_date DESC, t.portfolio_id, t.side DESC, t.symbol;
COMMENT ON VIEW v_trade_blotter IS 'Every trade with its portfolio name and asset class, newest first.';
COMMENT ON COLUMN v_trade_blotter.trade_date IS 'Trade date (fills at that close).';
COMMENT ON COLUMN v_trade_blotter.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN v_trade_blotter.portfolio IS 'Portfolio name.';
COMMENT ON COLUMN v_trade_blotter.symbol IS 'Symbol traded.';
COMMENT ON COLUMN v_trade_blotter.asset_class IS 'Asset class of the symbol.';
COMMENT ON COLUMN v_trade_blotter.side IS 'BUY or SELL.';
COMMENT ON COLUMN v_trade_blotter.quantity IS 'Units traded (positive).';
COMMENT ON COLUMN v_trade_blotter.price IS 'Fill price (the close).';
COMMENT ON COLUMN v_trade_blotter.notional IS 'quantity x price.';
COMMENT ON COLUMN v_trade_blotter.cost IS 'Transaction cost of the ticket.';
COMMENT ON COLUMN v_trade_blotter.reason IS 'inception, calendar or drift.';
COMMENT ON COLUMN v_trade_blotter.run_id IS 'Run that wrote the trade.';

-- One line per portfolio: latest NAV, cash, total return and costs since inception.
CREATE OR REPLACE VIEW v_portfolio_summary AS
SELECT n.portfolio_id, p.name, p.strategy, p.risk_profile,
       min(n.date) AS first_date, max(n.date) AS last_date,
       arg_max(n.nav, n.date) AS last_nav,
       arg_max(n.cash, n.date) AS last_cash,
       arg_max(n.nav, n.date) / any_value(p.initial_capital) - 1 AS total_return,
       sum(n.costs) AS costs_paid,
       count(*) FILTER (WHERE n.rebalanced) AS rebalances
FROM nav n
JOIN portfolios p USING (portfolio_id)
GROUP BY n.portfolio_id, p.name, p.strategy, p.risk_profile
ORDER BY n.portfolio_id;
COMMENT ON VIEW v_portfolio_summary IS 'One line per portfolio: first and last NAV date, latest NAV and cash, total return and costs since inception, rebalance days.';
COMMENT ON COLUMN v_portfolio_summary.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN v_portfolio_summary.name IS 'Portfolio name.';
COMMENT ON COLUMN v_portfolio_summary.strategy IS 'Strategy name.';
COMMENT ON COLUMN v_portfolio_summary.risk_profile IS 'Risk profile label.';
COMMENT ON COLUMN v_portfolio_summary.first_date IS 'First NAV date.';
COMMENT ON COLUMN v_portfolio_summary.last_date IS 'Latest NAV date.';
COMMENT ON COLUMN v_portfolio_summary.last_nav IS 'NAV at the latest date.';
COMMENT ON COLUMN v_portfolio_summary.last_cash IS 'Uninvested cash at the latest date.';
COMMENT ON COLUMN v_portfolio_summary.total_return IS 'Latest NAV / initial capital - 1.';
COMMENT ON COLUMN v_portfolio_summary.costs_paid IS 'Transaction costs since inception.';
COMMENT ON COLUMN v_portfolio_summary.rebalances IS 'Days with at least one trade.';

-- Cumulative Brinson-Fachler attribution by asset class, one line per portfolio and class.
CREATE OR REPLACE VIEW v_attribution_by_asset_class AS
SELECT a.portfolio_id, p.name AS portfolio, a.benchmark, a.period_start, a.period_end, a.segment AS asset_class,
       a.portfolio_weight, a.benchmark_weight, a.allocation, a.selection, a.interaction, a.total_effect,
       a.portfolio_return, a.benchmark_return
FROM attribution a
LEFT JOIN portfolios p USING (portfolio_id)
WHERE a.period = 'cumulative' AND a.level = 'asset_class'
ORDER BY a.portfolio_id, a.segment;
COMMENT ON VIEW v_attribution_by_asset_class IS 'Cumulative (since inception, Carino-linked) Brinson-Fachler attribution by asset class, one line per portfolio and class.';
COMMENT ON COLUMN v_attribution_by_asset_class.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN v_attribution_by_asset_class.portfolio IS 'Portfolio name.';
COMMENT ON COLUMN v_attribution_by_asset_class.benchmark IS 'Benchmark (symbol or portfolio id).';
COMMENT ON COLUMN v_attribution_by_asset_class.period_start IS 'First day attributed.';
COMMENT ON COLUMN v_attribution_by_asset_class.period_end IS 'Last day attributed.';
COMMENT ON COLUMN v_attribution_by_asset_class.asset_class IS 'Asset class, cash or costs.';
COMMENT ON COLUMN v_attribution_by_asset_class.portfolio_weight IS 'Average start-of-day weight in the portfolio.';
COMMENT ON COLUMN v_attribution_by_asset_class.benchmark_weight IS 'Average start-of-day weight in the benchmark.';
COMMENT ON COLUMN v_attribution_by_asset_class.allocation IS 'Allocation effect.';
COMMENT ON COLUMN v_attribution_by_asset_class.selection IS 'Selection effect.';
COMMENT ON COLUMN v_attribution_by_asset_class.interaction IS 'Interaction effect.';
COMMENT ON COLUMN v_attribution_by_asset_class.total_effect IS 'allocation + selection + interaction.';
COMMENT ON COLUMN v_attribution_by_asset_class.portfolio_return IS 'Portfolio''s return over the period.';
COMMENT ON COLUMN v_attribution_by_asset_class.benchmark_return IS 'Benchmark''s return over the period.';

-- Key metrics of every portfolio over every horizon.
CREATE OR REPLACE VIEW v_performance AS
SELECT f.portfolio_id, p.strategy, p.risk_profile, f.horizon, f.start_date, f.end_date,
       f.total_return, f.cagr, f.volatility, f.sharpe, f.sortino, f.max_drawdown, f.calmar,
       f.turnover, f.costs_paid, f.hit_rate, f.benchmark, f.benchmark_return, f.tracking_error,
       f.information_ratio
FROM performance f
LEFT JOIN portfolios p USING (portfolio_id)
ORDER BY f.portfolio_id, f.horizon;
COMMENT ON VIEW v_performance IS 'Performance metrics of every portfolio and horizon with its strategy and risk profile (see table performance).';
COMMENT ON COLUMN v_performance.portfolio_id IS 'Portfolio id.';
COMMENT ON COLUMN v_performance.strategy IS 'Strategy name.';
COMMENT ON COLUMN v_performance.risk_profile IS 'Risk profile label.';
COMMENT ON COLUMN v_performance.horizon IS 'inception, ytd, 1y, 3y or 5y.';
COMMENT ON COLUMN v_performance.start_date IS 'First daily return of the horizon.';
COMMENT ON COLUMN v_performance.end_date IS 'Last daily return of the horizon.';
COMMENT ON COLUMN v_performance.total_return IS 'Compounded return over the horizon (plain, not annualised).';
COMMENT ON COLUMN v_performance.cagr IS 'Annualised return (for ytd a part-year annualisation: read total_return).';
COMMENT ON COLUMN v_performance.volatility IS 'Annualised volatility.';
COMMENT ON COLUMN v_performance.sharpe IS 'Annualised Sharpe ratio over the cash index.';
COMMENT ON COLUMN v_performance.sortino IS 'Annualised Sortino ratio.';
COMMENT ON COLUMN v_performance.max_drawdown IS 'Largest peak-to-trough fall (negative).';
COMMENT ON COLUMN v_performance.calmar IS 'cagr / |max_drawdown| (not meaningful for ytd).';
COMMENT ON COLUMN v_performance.turnover IS 'Annualised traded notional / NAV.';
COMMENT ON COLUMN v_performance.costs_paid IS 'Transaction costs paid in the horizon.';
COMMENT ON COLUMN v_performance.hit_rate IS 'Share of days with a positive return.';
COMMENT ON COLUMN v_performance.benchmark IS 'Benchmark (symbol or portfolio id).';
COMMENT ON COLUMN v_performance.benchmark_return IS 'Benchmark''s compounded return (SPX: price index, no dividends).';
COMMENT ON COLUMN v_performance.tracking_error IS 'Annualised tracking error.';
COMMENT ON COLUMN v_performance.information_ratio IS 'Annualised active return / tracking error.';
