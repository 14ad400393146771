SELECT * FROM account_performance WHERE account_id = $id;
