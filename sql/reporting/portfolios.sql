-- Portfolios that have NAV rows, with their configuration (report headers and the index page).
SELECT p.portfolio_id, p.name, p.strategy, p.risk_profile, p.benchmark, p.initial_capital, p.inception
FROM portfolios p
WHERE p.portfolio_id IN (SELECT DISTINCT portfolio_id FROM nav)
ORDER BY p.portfolio_id;
