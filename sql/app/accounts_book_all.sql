-- The whole book, in account id order (the order shards are cut in).
SELECT account_id, portfolio_id, inception, initial_deposit, fractional, drift_tolerance, cash_buffer,
       min_trade_value, fee_bps
FROM accounts ORDER BY account_id;
