"""Concurrency: two writers running the same date while four readers loop on `query`; and an
analyst's connection held open during the load.

No lock error reaches a user: both writers succeed and the warehouse converges to one
uninterrupted run; every reader query succeeds (a wait for the lock is bounded and says what
it waits for). A connection held open past the bounded wait makes the writer fail with one
clear line naming the lock, recorded nowhere half-written."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb

from support import NEXT_DAY, REPO
from support_state import cli, copy_home, curated_hashes, warehouse_rows

READER = """
import sys, time, pathlib
from pipelines.cli import main
stop, log = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
codes = []
while not stop.exists():
    codes.append(main(["query", "SELECT count(*) AS n FROM nav", "--format", "csv"]))
    time.sleep(0.05)
log.write_text(" ".join(map(str, codes)))
"""


def test_two_writers_and_four_readers(base_home, tmp_path, states):
    _, (rows_after, lake_after) = states
    src, config = base_home
    home = copy_home(src, tmp_path / "home")
    env = {"DAA_HOME": str(home), "DAA_CONFIG_DIR": str(config)}
    import os

    stop = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(stop), str(tmp_path / f"reader{i}.log")],
                                cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True) for i in range(4)]
    t0 = time.monotonic()
    writers = [subprocess.Popen([sys.executable, "-m", "pipelines", "run", "--date", NEXT_DAY.isoformat()],
                                cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [w.communicate(timeout=600) for w in writers]
    seconds = time.monotonic() - t0
    stop.write_text("")
    reader_errs = [r.communicate(timeout=120)[1] for r in readers]
    for w, (_, err) in zip(writers, results, strict=True):
        assert w.returncode == 0, err[-3000:]
        assert "Conflicting lock" not in err and "error:" not in err, err[-3000:]
    for i, err in enumerate(reader_errs):
        codes = (tmp_path / f"reader{i}.log").read_text().split()
        assert codes and set(codes) == {"0"}, (codes, err[-2000:])
        assert "Conflicting lock" not in err and "error:" not in err, err[-2000:]
    assert seconds < 300, f"two writers took {seconds:.0f} s"
    assert warehouse_rows(home) == rows_after
    assert curated_hashes(home) == lake_after


def test_a_connection_held_open_makes_the_writer_fail_clearly_after_a_bounded_wait(base_home, tmp_path, states):
    (rows_before, _), _ = states
    src, config = base_home
    home = copy_home(src, tmp_path / "home")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               "c = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); "
                               "time.sleep(600)", str(home / "warehouse.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        t0 = time.monotonic()
        res = cli(home, config, "run", "--date", NEXT_DAY.isoformat(), env={"DAA_LOCK_WAIT_SECONDS": "3"})
        waited = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "another process holds its lock" in res.stderr
    assert "error: cannot open warehouse" in res.stderr and "within 3 s" in res.stderr, res.stderr[-2000:]
    assert waited < 120
    assert warehouse_rows(home) == rows_before
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM pipeline_runs WHERE status = 'success' AND run_id LIKE 'cli__daily__%'"
                       ).fetchone()[0] == 0
    con.close()
