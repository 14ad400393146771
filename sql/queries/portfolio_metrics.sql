-- Key metrics of every managed portfolio since inception (performance table).
SELECT portfolio_id, strategy, risk_profile, round(100 * cagr, 2) AS cagr_pct,
       round(100 * volatility, 2) AS vol_pct, round(sharpe, 2) AS sharpe,
       round(100 * max_drawdown, 1) AS max_dd_pct, round(calmar, 2) AS calmar,
       round(turnover, 2) AS turnover_pa, round(costs_paid, 0) AS costs_paid,
       benchmark, round(tracking_error, 3) AS te, round(information_ratio, 2) AS ir
FROM v_performance
WHERE horizon = 'inception'
ORDER BY portfolio_id;
