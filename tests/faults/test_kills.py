"""SIGKILL at every fault point of a daily run (ingest, curated swap, staging, inside and after
the load transaction, inside the analytics transaction, before the run's success row): the
process dies with no cleanup, as an OOM kill or a lost machine would.

Right after the kill every warehouse table is either as before or as the uninterrupted run left
it (one transaction per writer: nothing half-written), the curated lake verifies against its
manifests, and the run's `pipeline_runs` row says `running`, never `success`. A rerun then
converges to the uninterrupted run: the same rows in every table (run ids and clock columns
aside) and the same curated files, hash for hash."""

from __future__ import annotations

import pytest

from support import NEXT_DAY
from support_state import cli, copy_home, curated_hashes, run_rows, warehouse_rows

POINTS = ["ingest.fetched", "ingest.raw_written", "curated.partitions_swapping", "ingest.curated_written",
          "stage.portfolio", "load.in_transaction", "load.committed", "analytics.in_transaction",
          "run.finished"]


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_leaves_a_committed_state_and_a_rerun_converges(base_home, tmp_path, states, point):
    (rows_before, lake_before), (rows_after, lake_after) = states
    src, config = base_home
    home = copy_home(src, tmp_path / "home")
    killed = cli(home, config, "run", "--date", NEXT_DAY.isoformat(), env={"DAA_FAULT_KILL": point})
    assert killed.returncode == -9, (point, killed.returncode, killed.stderr[-2000:])

    rows = warehouse_rows(home)
    for table, got in rows.items():
        assert got in (rows_before.get(table, []), rows_after[table]), f"{table} half-written at {point}"
    lake = curated_hashes(home)
    assert lake in (lake_before, lake_after) or point == "curated.partitions_swapping"
    assert cli(home, config, "lake", "verify").returncode == 0, f"curated lake does not verify after {point}"
    runs = [r for r in run_rows(home) if r[1] == "cli.run" and r[0].startswith("cli__daily__")]
    assert [r[2] for r in runs] == ["running"], runs

    rerun = cli(home, config, "run", "--date", NEXT_DAY.isoformat())
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert warehouse_rows(home) == rows_after
    assert curated_hashes(home) == lake_after
    statuses = sorted(r[2] for r in run_rows(home) if r[1] == "cli.run" and r[0].startswith("cli__daily__"))
    assert statuses == ["running", "success"]
