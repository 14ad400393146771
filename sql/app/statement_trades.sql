-- An account's tickets between $start and $end.
SELECT trade_date, symbol, side, CAST(quantity AS DOUBLE) AS quantity, price, notional, cost, reason
FROM account_trades WHERE account_id = $account_id AND trade_date BETWEEN $start AND $end
ORDER BY trade_date, side DESC, symbol;
