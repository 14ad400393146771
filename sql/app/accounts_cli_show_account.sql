SELECT * FROM accounts WHERE account_id = $id;
