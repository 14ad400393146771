-- Evidence rows of the reported portfolios, one per comparison (table evidence).
SELECT portfolio_id, comparison, compared_with, start_date, end_date, observations, dynamic, learned,
       sharpe, compared_sharpe, psr, psr_vs_compared, min_track_record_years, dsr, n_trials,
       n_portfolio_trials, n_model_trials, expected_max_sharpe, sharpe_difference, sharpe_difference_low,
       sharpe_difference_high, confidence, block_length, family_size, reality_check_pvalue, spa_pvalue,
       cpcv_paths, cpcv_sharpe_mean, cpcv_sharpe_min, cpcv_sharpe_max, cpcv_share_above, pbo, pbo_trials,
       outperformance, verdict
FROM evidence
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id, CASE comparison WHEN 'benchmark' THEN 0 ELSE 1 END;
