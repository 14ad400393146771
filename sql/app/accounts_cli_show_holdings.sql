SELECT * EXCLUDE (account_id) FROM v_account_holdings WHERE account_id = $id;
