-- Dates of the account state checkpoints on or before $before, latest first.
SELECT date FROM account_state WHERE date <= $before GROUP BY date ORDER BY date DESC;
