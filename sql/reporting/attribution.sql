-- Cumulative Brinson-Fachler attribution by asset class of one portfolio (table `attribution`).
SELECT segment, portfolio_weight, benchmark_weight, allocation, selection, interaction, total_effect,
       contribution, period_start, period_end, benchmark
FROM attribution
WHERE portfolio_id = $portfolio_id AND period = 'cumulative' AND level = 'asset_class'
ORDER BY segment;
