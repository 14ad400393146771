-- Attribution by asset class: cumulative Brinson-Fachler effects of every portfolio against its
-- benchmark, in percentage points (table `attribution`, written by the analytics step).
-- Usage: python -m pipelines query attribution_by_asset_class [--param portfolio_id=static_60_40]
SELECT portfolio_id, benchmark, period_start, period_end, asset_class,
       round(100 * portfolio_weight, 2) AS portfolio_weight_pct,
       round(100 * benchmark_weight, 2) AS benchmark_weight_pct,
       round(100 * allocation, 3) AS allocation_pp, round(100 * selection, 3) AS selection_pp,
       round(100 * interaction, 3) AS interaction_pp, round(100 * total_effect, 3) AS total_pp
FROM v_attribution_by_asset_class
WHERE $portfolio_id IS NULL OR portfolio_id = $portfolio_id
ORDER BY portfolio_id, asset_class;
