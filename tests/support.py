"""Constants and helpers shared by the tests (import as `from support import ...`)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# A small, fast portfolio set for pipeline tests: the two skeleton portfolios, incepted 2014.
TEST_PORTFOLIOS = """
defaults:
  initial_capital: 1000000
  inception: 2014-01-02
  costs: {commission_bps: 1.0, half_spread_bps: {equity: 1.0, government_bonds: 0.5}}
portfolios:
  - id: static_60_40
    name: Static 60/40
    risk_profile: moderate
    strategy: static_mix
    params: {weights: {SPX: 0.6, UST10Y: 0.4}}
    rebalance: {frequency: monthly}
    benchmark: SPX
  - id: equal_weight_stocks
    name: Equal weight stocks
    risk_profile: aggressive
    strategy: equal_weight
    universe: [AAPL, AMD, BAC, BBY, CVX, GE, HD, JNJ, JPM, KO, LLY, MRK, MSFT, PEP, PFE, PG, RRC, UNH, WMT, XOM]
    rebalance: {frequency: monthly}
    benchmark: SPX
"""

BASE_END = dt.date(2016, 12, 29)   # the base home is backfilled up to here
NEXT_DAY = dt.date(2016, 12, 30)   # the next trading day, left for the daily run


def make_config_dir(path: Path, portfolios_yaml: str = TEST_PORTFOLIOS) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for f in (REPO / "config").glob("*.yaml"):  # universe, quality thresholds, ...
        if f.name != "portfolios.yaml":
            shutil.copy(f, path / f.name)
    (path / "portfolios.yaml").write_text(portfolios_yaml)
    return path


def private_copy(src: Path, tmp_path: Path) -> Path:
    """A writable copy of a session's data home (without its staging and Airflow folders)."""
    dst = tmp_path / "home"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("staging", "airflow"))
    return dst
