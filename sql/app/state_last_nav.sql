-- The last stored close of one portfolio strictly before a date: where a run resumes.
SELECT date, nav, cash
FROM nav
WHERE portfolio_id = $portfolio_id AND date < $before
ORDER BY date DESC
LIMIT 1;
