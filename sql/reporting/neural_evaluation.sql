-- The neural policies' out-of-sample rows (table neural_evaluation), the policy first.
SELECT portfolio_id, role, compared_id, same_universe, start_date, end_date, observations, cagr, volatility,
       sharpe, sortino, max_drawdown, turnover, refits, refits_beating_equal_weight,
       share_refits_beating_equal_weight
FROM neural_evaluation
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id, CASE role WHEN 'neural_sharpe' THEN 0 WHEN 'equal_weight' THEN 1 WHEN 'sixty_forty' THEN 2
         WHEN 'risk_parity' THEN 3 WHEN 'max_sharpe' THEN 4 ELSE 5 END;
