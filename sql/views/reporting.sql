-- Views for the questions users ask first.

-- Latest target allocation of every portfolio, cash included.
CREATE OR REPLACE VIEW v_latest_allocations AS
SELECT tw.portfolio_id, p.name AS portfolio, tw.date, tw.symbol, a.asset_class, tw.weight
FROM target_weights tw
JOIN (SELECT portfolio_id, max(date) AS date FROM target_weights GROUP BY portfolio_id) last
  USING (portfolio_id, date)
LEFT JOIN portfolios p USING (portfolio_id)
LEFT JOIN assets a USING (symbol)
ORDER BY tw.portfolio_id, tw.weight DESC;

-- Every trade with its portfolio and asset class, newest first.
CREATE OR REPLACE VIEW v_trade_blotter AS
SELECT t.trade_date, t.portfolio_id, p.name AS portfolio, t.symbol, a.asset_class, t.side,
       t.quantity, t.price, t.notional, t.cost, t.reason, t.run_id
FROM trades t
LEFT JOIN portfolios p USING (portfolio_id)
LEFT JOIN assets a USING (symbol)
ORDER BY t.trade_date DESC, t.portfolio_id, t.side DESC, t.symbol;

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

-- Cumulative Brinson-Fachler attribution by asset class, one line per portfolio and class.
CREATE OR REPLACE VIEW v_attribution_by_asset_class AS
SELECT a.portfolio_id, p.name AS portfolio, a.benchmark, a.period_start, a.period_end, a.segment AS asset_class,
       a.portfolio_weight, a.benchmark_weight, a.allocation, a.selection, a.interaction, a.total_effect,
       a.portfolio_return, a.benchmark_return
FROM attribution a
LEFT JOIN portfolios p USING (portfolio_id)
WHERE a.period = 'cumulative' AND a.level = 'asset_class'
ORDER BY a.portfolio_id, a.segment;

-- Key metrics of every portfolio since inception.
CREATE OR REPLACE VIEW v_performance AS
SELECT f.portfolio_id, p.strategy, p.risk_profile, f."window", f.start_date, f.end_date, f.cagr, f.volatility,
       f.sharpe, f.sortino, f.max_drawdown, f.calmar, f.turnover, f.costs_paid, f.hit_rate,
       f.benchmark, f.tracking_error, f.information_ratio
FROM performance f
LEFT JOIN portfolios p USING (portfolio_id)
ORDER BY f.portfolio_id, f."window";
