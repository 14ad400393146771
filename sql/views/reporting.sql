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
