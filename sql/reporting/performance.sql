-- Performance metrics of the reported portfolios, one row per horizon (table performance).
SELECT portfolio_id, horizon, start_date, end_date, total_return, cagr, volatility, sharpe,
       sortino, max_drawdown, calmar, turnover, costs_paid, hit_rate, benchmark,
       benchmark_return, tracking_error, information_ratio
FROM performance
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id,
         CASE horizon WHEN 'inception' THEN 0 WHEN 'ytd' THEN 1 WHEN '1y' THEN 2 WHEN '3y' THEN 3 ELSE 4 END;
