-- Every row of the regimes table (model outputs; its columns are inspected by the report).
SELECT * FROM regimes ORDER BY 1;
