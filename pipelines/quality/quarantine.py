"""Quarantine: a rejected batch leaves the lake's path with a reason file beside it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from pipelines.config import Settings
from pipelines.secrets import mask
from pipelines.warehouse.staging import safe_name


def quarantine_dir(settings: Settings, as_of: dt.date, run_id: str) -> Path:
    return settings.quarantine_dir / f"ingest_date={as_of.isoformat()}" / safe_name(run_id)


def quarantine_batch(settings: Settings, as_of: dt.date, run_id: str, *, pending: Path | None,
                     source_files: list[Path], reason: dict, message: str) -> Path:
    """Move the pending batch (and the source files it came from) under quarantine/.

    `reason.json` holds the failed checks with sample rows, `reason.txt` the error message.
    """
    target = quarantine_dir(settings, as_of, run_id)
    target.mkdir(parents=True, exist_ok=True)
    if pending is not None and pending.exists():
        for f in sorted(pending.iterdir()):
            shutil.move(str(f), target / f.name)
        shutil.rmtree(pending, ignore_errors=True)
    if source_files:
        (target / "source_files").mkdir(exist_ok=True)
        for f in source_files:
            if f.exists():
                shutil.move(str(f), target / "source_files" / f.name)
    (target / "reason.json").write_text(mask(json.dumps(reason, indent=2, default=str)))
    (target / "reason.txt").write_text(mask(message) + "\n")
    return target
