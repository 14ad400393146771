"""Shared fixtures: one real warehouse built by a small backfill, copied per test.

The base DAA_HOME is built once per session (bundled data, backfill over one year, so the
curated lake and the DuckDB warehouse are real); each test gets its own copy, drops a batch in
the `files` source's inbox and ingests the next trading day through the quality gate.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import REPO_ROOT, Settings
from pipelines.ingest.bundled import BundledSource
from qhelpers import AS_OF, BACKFILL_END, BACKFILL_START, WINDOW_START

# One small portfolio keeps the backfill quick; the gate does not depend on portfolios.
PORTFOLIOS = """
portfolios:
  - id: static_60_40
    name: Static 60/40
    risk_profile: moderate
    strategy: static_mix
    params: {weights: {SPX: 0.6, UST10Y: 0.4}}
    inception: 2015-07-01
    rebalance: {frequency: monthly}
"""


@pytest.fixture(scope="session")
def q_config_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("q_config")
    for name in ("universe.yaml", "quality.yaml"):
        shutil.copy(REPO_ROOT / "config" / name, path / name)
    (path / "portfolios.yaml").write_text(PORTFOLIOS)
    return path


def make_settings(home: Path, config_dir: Path, source: str = "bundled") -> Settings:
    return Settings(data_root=home, config_dir=config_dir, source=source)


@pytest.fixture(scope="session")
def q_base_home(tmp_path_factory, q_config_dir: Path) -> Path:
    """A real lake and warehouse: full-history ingest (gated) plus a one-year backfill."""
    from pipelines.runner import backfill

    home = tmp_path_factory.mktemp("q_base_home")
    backfill(make_settings(home, q_config_dir), BACKFILL_START, BACKFILL_END, run_id="test__backfill")
    return home


@pytest.fixture()
def q_home(q_base_home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(q_base_home, target)
    (target / "inbox").mkdir()
    return target


@pytest.fixture()
def files_settings(q_home: Path, q_config_dir: Path) -> Settings:
    return make_settings(q_home, q_config_dir, source="files")


@pytest.fixture(scope="session")
def clean_batch(q_config_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real bundled rows from 40 days before the as-of date, as a user would drop them."""
    settings = make_settings(Path("/nonexistent"), q_config_dir)
    src = BundledSource()
    return (src.prices(settings.universe, WINDOW_START - dt.timedelta(days=30), AS_OF),
            src.macro(settings.universe, WINDOW_START - dt.timedelta(days=30), AS_OF))
