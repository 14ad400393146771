-- Best and worst portfolios this year: year-to-date return of every portfolio, ranked. "This
-- year" is the year of the warehouse's latest NAV date (the bundled data ends in 2017).
-- Usage: python -m pipelines query best_worst_ytd
WITH last AS (SELECT max(date) AS d FROM nav),
ytd AS (
    SELECT n.portfolio_id,
           arg_max(n.nav, n.date) FILTER (WHERE year(n.date) = year(last.d)) AS nav_now,
           arg_max(n.nav, n.date) FILTER (WHERE year(n.date) < year(last.d)) AS nav_prev_year_end,
           min(n.date) FILTER (WHERE year(n.date) = year(last.d)) AS first_date_this_year,
           any_value(last.d) AS as_of
    FROM nav n, last
    GROUP BY n.portfolio_id
)
SELECT rank() OVER (ORDER BY nav_now / coalesce(nav_prev_year_end, p.initial_capital) DESC) AS rank,
       y.portfolio_id, p.strategy, p.risk_profile, y.as_of,
       round(100 * (y.nav_now / coalesce(y.nav_prev_year_end, p.initial_capital) - 1), 2) AS ytd_return_pct,
       round(y.nav_now, 2) AS nav
FROM ytd y
JOIN portfolios p USING (portfolio_id)
WHERE y.nav_now IS NOT NULL
ORDER BY rank;
