-- Keep the state checkpoints a later run can resume from: each month's last one and the
-- latest $keep dates.
DELETE FROM account_state WHERE date NOT IN (
    SELECT max(date) FROM account_state GROUP BY year(date), month(date)
    UNION
    SELECT date FROM (SELECT DISTINCT date FROM account_state ORDER BY date DESC LIMIT $keep)
);
