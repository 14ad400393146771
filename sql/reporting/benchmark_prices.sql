-- Closing prices of a benchmark symbol over a date range (from the curated lake view).
SELECT date, close
FROM prices
WHERE symbol = $symbol AND date BETWEEN $start AND $end
ORDER BY date;
