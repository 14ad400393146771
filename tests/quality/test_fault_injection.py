"""Fault injection on real files: each bad batch fails at validation, is quarantined, and leaves
the curated lake, the raw lake and the DuckDB warehouse byte-for-byte unchanged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.ingest.run import ingest
from pipelines.quality.errors import ValidationFailed
from qhelpers import AS_OF, fingerprint, warehouse_tables


def drop(settings, prices: pd.DataFrame | None, macro: pd.DataFrame | None, fmt: str = "parquet") -> None:
    inbox = settings.data_root / "inbox"
    for name, df in (("prices", prices), ("macro", macro)):
        if df is None:
            continue
        if fmt == "csv":
            out = df.copy()
            for c in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[c]):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            out.to_csv(inbox / f"{name}.csv", index=False)
        else:
            df.to_parquet(inbox / f"{name}.parquet", index=False)


def on(df: pd.DataFrame, symbol: str, date: dt.date = AS_OF) -> pd.Series:
    return (df["symbol"] == symbol) & (df["date"] == pd.Timestamp(date))


def expect_rejected(settings, *needles: str, since: dt.date | None = None) -> ValidationFailed:
    """Run the ingest, assert it fails naming every needle, and that nothing good changed."""
    before_files = fingerprint(settings.data_root)
    before_tables = warehouse_tables(settings.data_root)
    with pytest.raises(ValidationFailed) as info:
        ingest(settings, AS_OF, since=since)
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} not in:\n{message}"
    assert fingerprint(settings.data_root) == before_files
    assert warehouse_tables(settings.data_root) == before_tables
    q = info.value.quarantine
    assert q is not None and (q / "reason.txt").read_text().strip() == message.split("\nreport:")[0]
    reason = json.loads((q / "reason.json").read_text())
    assert reason["errors"], reason
    assert any(q.rglob("prices*")), list(q.iterdir())
    assert not list((settings.data_root / "inbox").iterdir()), "rejected files leave the inbox"
    assert not (settings.raw_dir / "source=files").exists(), "no raw batch for a rejected date"
    staged = list((settings.data_root / "quality" / "staged").glob("*.parquet"))
    results = pd.concat([pd.read_parquet(p) for p in staged])
    assert (~results["success"] & (results["severity"] == "error")).any()
    report = Path(message.split("\nreport: ")[1])
    assert "rejected" in report.read_text() and "http" not in report.read_text().split("Data Docs")[0]
    return info.value


def test_clean_batch_passes(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices, macro)
    curated_before = fingerprint(files_settings.data_root)
    summary = ingest(files_settings, AS_OF)
    assert summary.validation["status"] == "passed" and summary.validation["errors"] == 0
    assert summary.prices_on_as_of == len(files_settings.universe.symbols)
    assert fingerprint(files_settings.data_root) != curated_before  # curated and raw moved on
    assert (files_settings.raw_dir / "source=files" / "dataset=prices"
            / f"ingest_date={AS_OF}" / "data.parquet").exists()
    assert not any((files_settings.data_root / "lake" / "incoming").glob("*/*"))


def test_nan_price(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].mask(on(prices, "AAPL")))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "prices.parquet", "'close'", "expect_column_values_to_not_be_null",
                    '"symbol": "AAPL"', str(AS_OF))


def test_negative_price(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].where(~on(prices, "MSFT"), -prices["close"]))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "prices strictly positive", "expect_column_values_to_be_between",
                    "'close'", '"symbol": "MSFT"')


def test_duplicate_rows(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = pd.concat([prices, prices[on(prices, "KO")]], ignore_index=True)
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "one row per (date, symbol)", "expect_compound_columns_to_be_unique",
                    "'date,symbol'", '"symbol": "KO"')


def test_ten_x_jump(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].where(~on(prices, "JNJ"), prices["close"] * 10))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "daily move within the error bound", "curated_prices",
                    "abs_log_return", '"symbol": "JNJ"', str(AS_OF))


def test_stale_series(files_settings, clean_batch):
    prices, macro = clean_batch
    since = AS_OF - dt.timedelta(days=25)
    mask = (prices["symbol"] == "PG") & (prices["date"] > pd.Timestamp(since))
    frozen = prices.loc[mask, "close"].iloc[0]
    prices = prices.assign(close=prices["close"].where(~mask, frozen))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "series not stale", "run_length", '"symbol": "PG"', since=since)


def test_missing_asset(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices[prices["symbol"] != "XOM"], macro)
    expect_rejected(files_settings, "every asset of the universe present",
                    "expect_column_distinct_values_to_contain_set", '"missing": "XOM"')


def test_asset_missing_on_one_day(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices[~on(prices, "WMT")], macro)
    expect_rejected(files_settings, "every started symbol present on every date", str(AS_OF))


def test_missing_column(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices.drop(columns="close"), macro)
    expect_rejected(files_settings, "column 'close' is present", "expect_column_to_exist", "prices.parquet")


def test_wrong_dtype(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].map(lambda x: f"{x:.2f} USD"))
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "column 'close' has type float64",
                    "expect_column_values_to_be_in_type_list", "USD")


def test_wrong_dtype_csv(files_settings, clean_batch):
    prices, macro = clean_batch
    prices = prices.astype({"close": object})
    prices.loc[on(prices, "GE"), "close"] = "12,5"
    drop(files_settings, prices, macro, fmt="csv")
    expect_rejected(files_settings, "prices.csv", "column 'close' has type float64")


def test_empty_file(files_settings, clean_batch):
    _, macro = clean_batch
    drop(files_settings, None, macro)
    (files_settings.data_root / "inbox" / "prices.parquet").write_bytes(b"")
    expect_rejected(files_settings, "prices.parquet: empty file (0 bytes)", "file_is_readable_table")


def test_empty_table(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices.iloc[:0], macro, fmt="csv")
    expect_rejected(files_settings, "batch has at least 1 rows", "expect_table_row_count_to_be_between")


def test_truncated_parquet(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, prices, macro)
    path = files_settings.data_root / "inbox" / "prices.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect_rejected(files_settings, "prices.parquet: unreadable Parquet")


def test_duplicate_csv_headers(files_settings, clean_batch):
    prices, macro = clean_batch
    drop(files_settings, None, macro)
    text = prices.assign(close2=prices["close"]).rename(columns={"close2": "close"})
    text["date"] = text["date"].dt.strftime("%Y-%m-%d")
    text.to_csv(files_settings.data_root / "inbox" / "prices.csv", index=False)
    expect_rejected(files_settings, "prices.csv: duplicate column headers ['close']")


def test_unparseable_csv_dates(files_settings, clean_batch):
    prices, macro = clean_batch
    out = prices.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    out.loc[3, "date"] = "yesterday"
    out.to_csv(files_settings.data_root / "inbox" / "prices.csv", index=False)
    drop(files_settings, None, macro)
    expect_rejected(files_settings, "prices.csv: column 'date': not a date", "yesterday")


def test_macro_released_before_observed(files_settings, clean_batch):
    prices, macro = clean_batch
    macro = macro.copy()
    row = macro.index[(macro["series"] == "DGS10") & (macro["release_date"] == pd.Timestamp(AS_OF))][0]
    macro.loc[row, "obs_date"] = pd.Timestamp(AS_OF) + pd.Timedelta(days=3)
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "release date not before observation date", "macro.parquet",
                    "'release_lag_days'", '"series": "DGS10"')


def test_macro_out_of_range(files_settings, clean_batch):
    prices, macro = clean_batch
    macro = macro.assign(value=macro["value"].where(macro["series"] != "DGS2", 2.5))  # percent, not decimal
    drop(files_settings, prices, macro)
    expect_rejected(files_settings, "below the series' plausible maximum", '"series": "DGS2"')


def test_warning_is_recorded_and_does_not_stop(files_settings, clean_batch):
    from pipelines.quality.results import record_pending

    prices, macro = clean_batch
    prices = prices.assign(close=prices["close"].where(~on(prices, "PEP"), prices["close"] * 1.25))
    drop(files_settings, prices, macro)
    summary = ingest(files_settings, AS_OF)
    assert summary.validation["status"] == "passed"
    assert "curated_prices: daily move within the warning bound" in summary.validation["warning_checks"]
    assert record_pending(files_settings) > 0
    rows = warehouse_tables(files_settings.data_root)["validation_results"]
    import duckdb

    con = duckdb.connect(str(files_settings.warehouse_path), read_only=True)
    try:
        warn = con.execute(
            "SELECT severity, check_name, unexpected_count, unexpected_sample FROM validation_results "
            "WHERE run_id = ? AND NOT success", [summary.validation["run_id"]]).fetchall()
    finally:
        con.close()
    assert len(rows) >= 40
    assert [(w[0], w[1], w[2]) for w in warn] == [("warning", "daily move within the warning bound", 1)]
    assert "PEP" in warn[0][3]
