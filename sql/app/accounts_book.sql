-- The book's accounts as imports check them against (ids, inception, initial deposit).
SELECT account_id, inception, initial_deposit FROM accounts ORDER BY account_id;
