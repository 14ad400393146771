-- The flow instructions that can take effect after $after and on or before $as_of: one-off
-- flows whose effective day (the later of date and recorded_on) falls in the window, and
-- recurring ones running into it.
SELECT flow_id, account_id, kind, date, amount, end_date, recorded_on FROM cash_flows
WHERE (kind <> 'recurring' AND greatest(date, recorded_on) <= $as_of
       AND ($after IS NULL OR greatest(date, recorded_on) > $after))
   OR (kind = 'recurring' AND greatest(date, recorded_on) <= $as_of
       AND ($after IS NULL OR end_date IS NULL OR greatest(end_date, recorded_on) > $after));
