"""No look-ahead: ingesting D exposes nothing known after D, and outputs for D never change
when later data arrives."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from pipelines import lake
from pipelines.ingest.run import ingest
from pipelines.runner import backfill
from support import make_config_dir

D = dt.date(2015, 6, 12)  # a Friday; May core CPI is released on June 15


def test_ingest_as_of_writes_only_rows_known_by_then(tmp_path, use_home):
    settings = use_home(tmp_path / "home", make_config_dir(tmp_path / "cfg"))
    ingest(settings, D)
    for path in settings.raw_dir.rglob("dataset=prices/*/data.parquet"):
        assert pq.read_table(path).column("date").to_pandas().max() <= D
    for path in settings.raw_dir.rglob("dataset=macro/*/data.parquet"):
        assert pq.read_table(path).column("release_date").to_pandas().max() <= D
    prices = lake.read_curated(settings, lake.PRICES, dt.date(2030, 1, 1))
    macro = lake.read_curated(settings, lake.MACRO, dt.date(2030, 1, 1))
    assert prices["date"].max() == pd.Timestamp(D)
    assert macro["release_date"].max() <= pd.Timestamp(D)
    # Core CPI for May 2015 is published on June 15: not yet known on June 12 ...
    cpi = macro[macro["series"] == "CPILFESL"]
    assert cpi["obs_date"].max() == pd.Timestamp("2015-04-01")
    # ... and it shows up once its release date has passed.
    ingest(settings, dt.date(2015, 6, 30))
    cpi = lake.read_curated(settings, lake.MACRO, dt.date(2015, 6, 30)).query("series == 'CPILFESL'")
    assert cpi["obs_date"].max() == pd.Timestamp("2015-05-01")
    assert (cpi["release_date"] > cpi["obs_date"] + pd.offsets.MonthEnd(0)).all()


def test_reading_as_of_hides_later_rows(tmp_path, use_home):
    settings = use_home(tmp_path / "home", make_config_dir(tmp_path / "cfg"))
    ingest(settings, dt.date(2015, 12, 31))
    wide = lake.read_prices_wide(settings, D)
    assert wide.index.max() == pd.Timestamp(D)
    macro = lake.read_curated(settings, lake.MACRO, D)
    assert macro["release_date"].max() <= pd.Timestamp(D)


def test_outputs_for_d_do_not_change_when_later_data_arrives(tmp_path, use_home):
    config = make_config_dir(tmp_path / "cfg")
    early = use_home(tmp_path / "early", config)
    backfill(early, dt.date(2014, 1, 2), D, run_id="early")
    late = use_home(tmp_path / "late", config)
    backfill(late, dt.date(2014, 1, 2), D + dt.timedelta(days=120), run_id="late")

    def rows(settings, table, col):
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        try:
            return con.execute(f"SELECT * EXCLUDE (run_id, data_snapshot) FROM {table} "
                               f"WHERE {col} <= ? ORDER BY ALL", [D]).fetchall()
        finally:
            con.close()

    for table, col in {"nav": "date", "positions": "date", "trades": "trade_date",
                       "target_weights": "date"}.items():
        a, b = rows(early, table, col), rows(late, table, col)
        assert a and a == b, f"{table} rows up to {D} changed when later data arrived"
