-- An account's positions at the close of $end (holdings are stored as changes).
SELECT symbol, quantity FROM account_positions_at(CAST($end AS DATE)) WHERE account_id = $account_id ORDER BY symbol;
