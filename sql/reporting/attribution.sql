-- Cumulative Brinson-Fachler attribution by asset class of the reported portfolios.
SELECT portfolio_id, segment, portfolio_weight, benchmark_weight, allocation, selection,
       interaction, total_effect, contribution, period_start, period_end, benchmark
FROM attribution
WHERE portfolio_id IN (SELECT unnest($ids)) AND period = 'cumulative' AND level = 'asset_class'
ORDER BY portfolio_id, segment;
