"""Research experiments: reproducible studies run on demand (`python -m pipelines.research.X`),
not part of the scheduled pipeline."""
