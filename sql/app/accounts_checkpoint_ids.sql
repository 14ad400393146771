-- The accounts with a state checkpoint on $date.
SELECT account_id FROM account_state WHERE date = $date;
