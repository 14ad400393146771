-- Closes of a few symbols (benchmarks, the cash index) from the curated lake view.
SELECT date, symbol, close
FROM prices
WHERE symbol IN (SELECT unnest($symbols)) AND date BETWEEN $start AND $end
ORDER BY symbol, date;
