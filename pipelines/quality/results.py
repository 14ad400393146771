"""Validation results: staged as Parquet during the ingest, loaded into DuckDB by a writer step.

The ingest task is not the warehouse's writer (DuckDB has one writer at a time, and Airflow runs
writers in a single-slot pool), so it stages its results under `$DAA_HOME/quality/staged/` and
`record_validation` loads them later in one short transaction. A failed ingest therefore leaves
the warehouse file byte-for-byte unchanged; its results wait in the staging folder until the
next writer step records them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from pipelines.config import Settings
from pipelines.lake import write_parquet_atomic
from pipelines.quality.validate import Outcome, outcome_records
from pipelines.warehouse.staging import safe_name

log = logging.getLogger(__name__)

COLUMNS = ["run_id", "seq", "as_of", "source", "dataset", "suite", "expectation", "check_name",
           "column_name", "success", "severity", "observed_value", "element_count",
           "unexpected_count", "unexpected_sample", "batch_path", "validated_at"]


def quality_dir(settings: Settings) -> Path:
    return settings.quality_dir


def staged_dir(settings: Settings) -> Path:
    return quality_dir(settings) / "staged"


def results_frame(run_id: str, as_of: dt.date, source: str, outcomes: list[Outcome],
                  batch_path: str | None, validated_at: dt.datetime) -> pd.DataFrame:
    rows = outcome_records(outcomes)
    df = pd.DataFrame(rows, columns=list(Outcome.__dataclass_fields__))
    df = df.rename(columns={"check": "check_name", "column": "column_name"})
    df = df.assign(run_id=run_id, seq=range(len(df)), as_of=as_of, source=source,
                   batch_path=batch_path, validated_at=validated_at)
    df["element_count"] = df["element_count"].astype("Int64")
    df["unexpected_count"] = df["unexpected_count"].astype("Int64")
    df["success"] = df["success"].astype(bool)
    return df[COLUMNS]


def stage_results(settings: Settings, frame: pd.DataFrame) -> Path:
    """Write one run's results where the next writer step picks them up."""
    run_id = str(frame["run_id"].iloc[0]) if len(frame) else "empty"
    return write_parquet_atomic(frame, staged_dir(settings) / f"{safe_name(run_id)}.parquet")


def record_validation(settings: Settings, staged_path: str | Path) -> int:
    """Load one staged run into `validation_results` (replacing that run's rows); return rows.

    Call it from a step that holds the warehouse writer slot. The staged file is moved to
    `quality/recorded/` afterwards, so `record_pending` does not load it twice.
    """
    from pipelines.warehouse.writer import transaction

    path = Path(staged_path)
    done = quality_dir(settings) / "recorded" / path.name
    with transaction(settings) as w:
        # Checked under the writer lock: a concurrent writer's `record_pending` may have loaded
        # and moved this run's file while we waited for the lock (the same rows: nothing to do).
        if not path.exists():
            if done.exists():
                return 0
            raise FileNotFoundError(f"staged validation results not found: {path}")
        n = len(pd.read_parquet(path, columns=["run_id"]))
        w.run("app/delete_validation_run.sql", {"path": str(path)})
        w.run("app/insert_validation_results.sql", {"path": str(path)})
    done.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):  # moved by a concurrent writer that recorded it too
        path.replace(done)
    log.info("recorded %d validation results from %s", n, path.name)
    return n


def record_pending(settings: Settings) -> int:
    """Load every staged run not yet recorded (passed and failed ingests alike)."""
    total = 0
    for path in sorted(staged_dir(settings).glob("*.parquet")):
        total += record_validation(settings, path)
    return total
