-- Every account's restricted symbols and their substitutes.
SELECT account_id, symbol, substitute FROM account_restrictions ORDER BY account_id, symbol;
