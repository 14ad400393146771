"""Shared fixtures. Airflow reads its configuration at import, so the environment for a
throwaway Airflow home (SQLite metadata in a temp dir) is set here, before any test imports it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from support import BASE_END, REPO, make_config_dir, private_copy

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="daa-tests-"))

os.environ["AIRFLOW_HOME"] = str(_SESSION_TMP / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["DAA_TASK_RETRIES"] = "0"
os.environ["DAA_HOME"] = str(_SESSION_TMP / "default-home")  # never the repo's var/
os.environ.pop("DAA_CONFIG_DIR", None)

@pytest.fixture
def use_home(monkeypatch):
    """Point the pipeline at a data root and config dir; returns fresh Settings."""
    from pipelines.config import Settings

    def _use(home: Path, config_dir: Path | None = None) -> Settings:
        monkeypatch.setenv("DAA_HOME", str(home))
        if config_dir is not None:
            monkeypatch.setenv("DAA_CONFIG_DIR", str(config_dir))
        return Settings.from_env()

    return _use


@pytest.fixture(scope="session")
def base_home() -> tuple[Path, Path]:
    """A data root backfilled 2014-01-02 .. BASE_END with the test portfolios (built once)."""
    from pipelines.config import Settings
    from pipelines.runner import backfill

    home = _SESSION_TMP / "base-home"
    config = make_config_dir(_SESSION_TMP / "base-config")
    settings = Settings(data_root=home, config_dir=config)
    backfill(settings, dt.date(2014, 1, 2), BASE_END, run_id="test-base-backfill")
    return home, config


@pytest.fixture
def home(tmp_path, base_home, use_home):
    """A private copy of the base home, for tests that write."""
    src, config = base_home
    return use_home(private_copy(src, tmp_path), config)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated Airflow metadata DB with the DuckDB writer pool."""
    env = os.environ.copy()
    airflow = str(Path(sys.executable).with_name("airflow"))
    for cmd in ([airflow, "db", "migrate"],
                [airflow, "pools", "set", "duckdb_writer", "1", "DuckDB single writer"]):
        res = subprocess.run(cmd, env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return Path(os.environ["AIRFLOW_HOME"])


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)
