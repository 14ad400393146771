-- How many block orders a run's days have.
SELECT count(*) FROM block_orders WHERE trade_date BETWEEN $start AND $end;
