SELECT * FROM v_account_summary WHERE account_id = $id;
