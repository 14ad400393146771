-- Daily regime predictions: the most probable regime, the classifier's P(risk-off) and the
-- mixture's probabilities by name (JSON; a refit without a regime lacks its key).
SELECT date, regime, p_risk_off, probabilities
FROM regimes
ORDER BY date;
