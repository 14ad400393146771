-- The models' NAV over the run (from $first, the day before its first day, to $as_of).
SELECT portfolio_id, date, nav FROM nav
WHERE list_contains($models, portfolio_id) AND date BETWEEN $first AND $as_of;
