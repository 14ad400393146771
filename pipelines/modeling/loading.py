"""Load the training step's staged model tables through the single writer (one transaction,
replaced by key, idempotent): the `load` step of the model_training pipeline."""

from __future__ import annotations

from pipelines.config import Settings
from pipelines.warehouse.loader import load_staged


def load_models(settings: Settings, staged: dict, run_id: str = "models", step: str = "model_training.load"
                ) -> dict[str, int]:
    rows = load_staged(settings, run_id, [], {}, step=step, models=staged.get("tables") or {})
    return {k: v for k, v in rows.items() if k in staged.get("tables", {})}
