-- External flows every account received up to $date, from the account's side (deposits
-- positive, withdrawals negative): the money-weighted return's cash flows.
SELECT account_id, date,
       CASE WHEN kind = 'withdrawal' THEN -amount ELSE amount END AS amount
FROM account_flows
WHERE date <= $date AND status = 'applied' AND kind IN ('initial_deposit', 'deposit', 'recurring', 'withdrawal');
