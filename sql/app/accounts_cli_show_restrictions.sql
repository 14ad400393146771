SELECT symbol, substitute FROM account_restrictions WHERE account_id = $id ORDER BY symbol;
