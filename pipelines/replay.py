"""Replay mode: the scheduler operates on the embedded history, one trading day per run.

With `DAA_REPLAY_START=YYYY-MM-DD` set, each scheduled `market_data` run processes the next
trading day of the bundled history after the last day the lake holds (never before the replay
start), so a user who switches the DAGs on sees daily runs that ingest, validate, rebalance and
report. `DAA_REPLAY_SCHEDULE` (cron, default every two minutes) is how often a run starts. At the
end of the embedded history a run ends as skipped with a note. The data root should hold a
backfill up to the day before the replay start (`make replay` prepares one).
"""

from __future__ import annotations

import datetime as dt
import os

from pipelines import lake
from pipelines.config import Settings

REPLAY_START = "DAA_REPLAY_START"


def replay_start() -> dt.date | None:
    raw = os.environ.get(REPLAY_START, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{REPLAY_START}={raw!r} is not a date (YYYY-MM-DD)") from None


def next_business_date(settings: Settings, start: dt.date) -> dt.date | None:
    """The trading day a replay run processes: the first embedded trading day after the lake's
    latest price date and on or after `start`; None at the end of the embedded history."""
    from pipelines.ingest.bundled import trading_days

    latest = lake.curated_max_date(settings, lake.PRICES)
    after = max(start - dt.timedelta(days=1), latest) if latest else start - dt.timedelta(days=1)
    later = [d for d in trading_days() if d > after]
    return later[0] if later else None
