-- Assets under management by model portfolio on the latest processed day, with the day's flows and trading.
SELECT portfolio_id, as_of, accounts, round(aum, 2) AS aum, round(100 * aum / sum(aum) OVER (), 2) AS share_pct,
       round(deposits, 2) AS deposits, round(withdrawals, 2) AS withdrawals, outside_tolerance, trades
FROM v_model_accounts
ORDER BY aum DESC;
