-- Every managed portfolio: latest NAV, total return and costs since inception.
SELECT portfolio_id, strategy, first_date, last_date,
       round(last_nav, 2) AS last_nav, round(100 * total_return, 2) AS total_return_pct,
       round(costs_paid, 2) AS costs_paid, rebalances
FROM v_portfolio_summary
ORDER BY portfolio_id;
