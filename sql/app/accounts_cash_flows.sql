-- Every cash flow instruction loaded so far.
SELECT flow_id, account_id, kind, date, amount, end_date, recorded_on FROM cash_flows;
