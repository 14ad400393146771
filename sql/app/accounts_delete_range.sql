-- Idempotent load: a run replaces every account row of the days it covers ($start .. $end).
DELETE FROM account_nav WHERE date BETWEEN $start AND $end;
DELETE FROM account_trades WHERE trade_date BETWEEN $start AND $end;
DELETE FROM block_orders WHERE trade_date BETWEEN $start AND $end;
DELETE FROM account_holdings WHERE date BETWEEN $start AND $end;
DELETE FROM account_flows WHERE date BETWEEN $start AND $end;
DELETE FROM account_state WHERE date BETWEEN $start AND $end;
DELETE FROM account_performance;
