-- Each account's latest state checkpoint (date and NAV): the base of an import's balance check.
SELECT account_id, max(date) AS date, arg_max(nav, date) AS nav FROM account_state GROUP BY account_id;
