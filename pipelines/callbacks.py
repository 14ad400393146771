"""Task failure callbacks: record the failure and its reason in `pipeline_runs`.

The scheduler shows that a task failed; the warehouse keeps why, next to the successful
steps, so `python -m pipelines query "SELECT * FROM pipeline_runs WHERE status = 'failed'"`
answers without the Airflow UI. Plain functions of the callback context: no Airflow import.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)
MAX_REASON = 2000


def _step(context: Mapping[str, Any]) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "dag")
    task_id = getattr(ti, "task_id", None) or getattr(context.get("task"), "task_id", "task")
    map_index = getattr(ti, "map_index", -1)
    suffix = f"[{map_index}]" if map_index is not None and map_index >= 0 else ""
    return f"{dag_id}.{task_id}{suffix}"


def _as_of(context: Mapping[str, Any]) -> dt.date | None:
    params = context.get("params") or {}
    try:
        return dt.date.fromisoformat(str(params["as_of"])) if params.get("as_of") else None
    except ValueError:
        return None


def failure_reason(context: Mapping[str, Any]) -> str:
    exc = context.get("exception")
    if exc is None:
        return "task failed (no exception in the callback context)"
    text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, str) else exc
    return text[:MAX_REASON]


def record_failure(context: Mapping[str, Any]) -> None:
    """`on_failure_callback`: one `failed` row per task (map index included) with the reason.

    Never raises: a callback that fails would hide the task's own error."""
    try:
        from pipelines.config import Settings
        from pipelines.quality.results import record_pending
        from pipelines.warehouse.loader import record_run

        settings = Settings.from_env()
        record_run(settings, str(context.get("run_id")), _step(context), "failed",
                   as_of=_as_of(context), message=failure_reason(context))
        record_pending(settings)  # a rejected batch's validation results, too
    except Exception:  # noqa: BLE001 - logged, never raised (see docstring)
        log.exception("could not record the failure of %s in pipeline_runs", _step(context))
