-- Closes of the symbols on $end (the lake's prices view).
SELECT symbol, close FROM prices WHERE date = CAST($end AS DATE) AND list_contains($symbols, symbol);
