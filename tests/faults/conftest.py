"""The fault suite. Fast modules run in `make test`; the slow ones (real processes killed with
SIGKILL, concurrent writers and readers, the planted-key runs whose fetches fail after
retries, runs on dates without data) only with DAA_FAULTS=1, which `make faults` sets (and
`.ci/run` calls `make faults`). The table of cases is in docs/faults.md."""

from __future__ import annotations

import os
import shutil

import pytest

SLOW = ["test_secrets.py", "test_kills.py", "test_concurrency.py", "test_cli_dates_without_data.py"]
collect_ignore = [] if os.environ.get("DAA_FAULTS") else SLOW


@pytest.fixture(scope="module")
def shared_home(base_home, tmp_path_factory):
    """One copy of the base home per module, for tests that must leave it unchanged (each
    asserts so); DAA_HOME and DAA_CONFIG_DIR point at it for the module's tests."""
    from pipelines.config import Settings
    from pipelines.warehouse.db import connect

    src, config = base_home
    dst = tmp_path_factory.mktemp("shared") / "home"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("staging", "airflow"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAA_HOME", str(dst))
        mp.setenv("DAA_CONFIG_DIR", str(config))
        settings = Settings.from_env()
        with connect(settings):   # the copy's lake views point at its own lake
            pass
        yield settings


@pytest.fixture(scope="session")
def states(base_home, tmp_path_factory):
    """(warehouse rows, curated hashes) of the base home before the daily run of NEXT_DAY, and
    after one uninterrupted run of it: what every interrupted or concurrent run must converge to."""
    from support import NEXT_DAY
    from support_state import cli, copy_home, curated_hashes, warehouse_rows

    src, config = base_home
    ref = copy_home(src, tmp_path_factory.mktemp("uninterrupted") / "home")
    res = cli(ref, config, "run", "--date", NEXT_DAY.isoformat())
    assert res.returncode == 0, res.stderr[-3000:]
    before = warehouse_rows(src), curated_hashes(src)
    after = warehouse_rows(ref), curated_hashes(ref)
    assert before != after
    return before, after
