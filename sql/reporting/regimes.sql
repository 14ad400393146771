-- Daily regime predictions of the risk-off classifier's rows: the most probable mixture regime,
-- the classifier's P(risk-off) and the mixture's probabilities by name (JSON; a refit without a
-- regime lacks its key). The causal regime models' rows (model_name causal_*) are not charted.
SELECT date, regime, p_risk_off, probabilities
FROM regimes
WHERE model_name = 'risk_off_classifier'
ORDER BY date;
