"""Self-contained HTML reports with plots, written under `$DAA_HOME/reports/`."""
