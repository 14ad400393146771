"""A real book on the base home: a seeded synthetic book over the two test models, imported and
run through the account rebalance for 2016 (real DuckDB, real Parquet, three shards)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from book_support import BOOK_START

from support import BASE_END, private_copy

ACCOUNTS_TEST_CONFIG = """shard_size: 120
drift_tolerance: 0.03
model_change_threshold: 0.001
fractional_lot: 0.000001
max_stale_days: 5
checkpoints_kept: 5
default_book: {n: 300, seed: 7, start: 2016-01-04}
"""


def accounts_config_dir(base_config: Path, dst: Path) -> Path:
    shutil.copytree(base_config, dst)
    (dst / "accounts.yaml").write_text(ACCOUNTS_TEST_CONFIG)
    return dst


@pytest.fixture(scope="session")
def book_home(base_home, tmp_path_factory) -> tuple[Path, Path]:
    """The base home plus a 300-account book run from 2016-01-04 to BASE_END (built once)."""
    from pipelines.accounts.book import import_book
    from pipelines.accounts.generate import generate_book
    from pipelines.config import Settings
    from pipelines.runner import run_accounts

    src, config = base_home
    root = tmp_path_factory.mktemp("book")
    home = root / "home"
    shutil.copytree(src, home, ignore=shutil.ignore_patterns("staging", "airflow"))
    config = accounts_config_dir(config, root / "config")
    settings = Settings(data_root=home, config_dir=config)
    made = generate_book(settings, 300, 7, BOOK_START, BASE_END, root / "files")
    import_book(settings, made.accounts_path, made.flows_path, replace=True)
    run_accounts(settings, BASE_END, run_id="test-book-run")
    return home, config


@pytest.fixture
def book(book_home, tmp_path, use_home):
    """A private copy of the book home, for tests that write."""
    src, config = book_home
    return use_home(private_copy(src, tmp_path), config)


@pytest.fixture(scope="session")
def book_db(book_home):
    """The book home's warehouse, read-only."""
    con = duckdb.connect(str(book_home[0] / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()
