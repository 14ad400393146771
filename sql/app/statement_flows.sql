-- An account's flows (applied and rejected) and fee charges up to $end.
SELECT date, kind, amount, status, note FROM account_flows
WHERE account_id = $account_id AND date <= $end ORDER BY date, kind;
