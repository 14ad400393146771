-- Units every account holds at the close of $date: the latest change on or before it, if not zero.
SELECT account_id, symbol, CAST(arg_max(quantity, date) AS DOUBLE) AS quantity
FROM account_holdings WHERE date <= $date
GROUP BY account_id, symbol HAVING arg_max(quantity, date) > 0;
