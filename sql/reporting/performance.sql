-- Performance metrics of one portfolio, one row per horizon (table `performance`, when present).
SELECT horizon, start_date, end_date, total_return, cagr, volatility, sharpe, sortino, max_drawdown,
       calmar, turnover, costs_paid, hit_rate, benchmark, benchmark_return, tracking_error,
       information_ratio
FROM performance
WHERE portfolio_id = $portfolio_id
ORDER BY CASE horizon WHEN 'inception' THEN 0 WHEN 'ytd' THEN 1 WHEN '1y' THEN 2 WHEN '3y' THEN 3 ELSE 4 END;
