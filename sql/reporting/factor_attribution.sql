-- Factor return attribution of the reported portfolios, summed by factor over three spans
-- ending at each portfolio's last attributed month: since the first month, the last 12 months
-- and the current year. Sums of monthly contributions (arithmetic, not compounded).
WITH last AS (
    SELECT portfolio_id, max(period_end) AS end_date, min(period_start) AS first_start
    FROM factor_attribution WHERE portfolio_id IN (SELECT unnest($ids)) GROUP BY portfolio_id
)
SELECT f.portfolio_id, f.factor,
       sum(f.contribution) AS since_start,
       sum(f.contribution) FILTER (WHERE f.period_end > l.end_date - INTERVAL 1 YEAR) AS last_12m,
       sum(f.contribution) FILTER (WHERE year(f.period_end) = year(l.end_date)) AS ytd,
       arg_max(f.exposure, f.period_end) AS last_exposure,
       count(*) AS months, any_value(l.first_start) AS first_start, any_value(l.end_date) AS end_date
FROM factor_attribution f
JOIN last l USING (portfolio_id)
GROUP BY f.portfolio_id, f.factor
ORDER BY f.portfolio_id, f.factor;
