-- The universe: asset class and sector of every symbol.
SELECT symbol, name, asset_class, sector FROM assets ORDER BY symbol;
