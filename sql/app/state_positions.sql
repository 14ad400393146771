-- Holdings of one portfolio at the close of a date.
SELECT symbol, quantity
FROM positions
WHERE portfolio_id = $portfolio_id AND date = $date;
