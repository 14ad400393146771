-- Every client account of the reported models at the latest day: NAV, drift and whether it is
-- outside its tolerance (the drift histogram), with its returns since inception.
SELECT portfolio_id, account_id, as_of, nav, drift, outside_tolerance, twr, mwr, tracking_difference
FROM account_performance
WHERE portfolio_id IN (SELECT unnest($ids))
ORDER BY portfolio_id, account_id;
