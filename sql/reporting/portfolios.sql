-- Portfolios that have NAV rows, with their configuration and the data snapshot of their
-- latest NAV row (tells bundled from live data).
SELECT p.portfolio_id, p.name, p.strategy, p.risk_profile, p.benchmark, p.initial_capital,
       p.inception, p.universe, n.data_snapshot
FROM portfolios p
JOIN (SELECT portfolio_id, arg_max(data_snapshot, date) AS data_snapshot
      FROM nav GROUP BY portfolio_id) n USING (portfolio_id)
ORDER BY p.portfolio_id;
