-- The state checkpoint of every account on $date (holdings come from account_holdings).
SELECT * EXCLUDE (run_id, date) FROM account_state WHERE date = $date;
