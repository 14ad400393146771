"""Named fault points for the fault suite (`make faults`, tests/faults/); inert unless a test sets them.

`checkpoint("load.in_transaction")` does nothing in production. Two environment variables,
which only the fault suite sets, turn a point into a fault:

- `DAA_FAULT_KILL=<point>[:N]`: the process kills itself with SIGKILL at the N-th time (default
  1st) it reaches `<point>`, as a crash, an OOM kill or a lost machine would: no cleanup runs.
- `DAA_FAULT_HOLD=<point>` with `DAA_FAULT_BARRIER=<dir>`: at `<point>`, create
  `<dir>/<point>.reached` and wait until `<dir>/<point>.release` exists (at most
  `DAA_FAULT_BARRIER_SECONDS`, default 120), so a test can hold a process at an exact point
  (inside the load transaction, say) while it starts another one.

The points, in pipeline order: `ingest.fetched`, `ingest.raw_written`, `curated.partitions_swapping`
(after the journal, between partition renames), `ingest.curated_written`, `stage.portfolio`,
`load.in_transaction` (rows inserted, not committed), `load.committed`, `analytics.in_transaction`,
`run.finished` (every step done, the run's `success` row not yet written).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

_hits: dict[str, int] = {}


def checkpoint(point: str) -> None:
    """Reach `point`: kill or hold the process if the fault suite asked for it here."""
    kill = os.environ.get("DAA_FAULT_KILL")
    if kill:
        name, _, nth = kill.partition(":")
        if name == point:
            _hits[point] = _hits.get(point, 0) + 1
            if _hits[point] >= int(nth or 1):
                os.kill(os.getpid(), signal.SIGKILL)
    barrier = os.environ.get("DAA_FAULT_BARRIER")
    if barrier and os.environ.get("DAA_FAULT_HOLD") == point:
        _hold(Path(barrier), point, float(os.environ.get("DAA_FAULT_BARRIER_SECONDS", "120")))


def _hold(folder: Path, point: str, seconds: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{point}.reached").write_text(str(os.getpid()))
    release = folder / f"{point}.release"
    deadline = time.monotonic() + seconds
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
