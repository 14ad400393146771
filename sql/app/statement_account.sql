-- One account of the book, with its restrictions as 'SYMBOL>SUBSTITUTE' text.
SELECT a.*, (SELECT string_agg(symbol || '>' || substitute, ';' ORDER BY symbol) FROM account_restrictions r
             WHERE r.account_id = a.account_id) AS restricted
FROM accounts a WHERE a.account_id = $account_id;
