-- Accounts whose drift exceeds their tolerance after the latest day's trades (whole units or minimum tickets can keep them there).
SELECT p.account_id, p.portfolio_id, p.as_of, round(100 * p.drift, 2) AS drift_pct,
       round(100 * coalesce(a.drift_tolerance, NULL), 2) AS tolerance_override_pct, a.fractional,
       round(p.nav, 2) AS nav, round(100 * p.tracking_difference, 2) AS tracking_difference_pct
FROM account_performance p JOIN accounts a USING (account_id)
WHERE p.outside_tolerance
ORDER BY p.drift DESC;
